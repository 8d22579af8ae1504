"""The relay: order, confirms, unroutable events kept pending, competing relays, wake-up on commit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from eventbus import envelope, outbox, tables, topology
from eventbus.broker import body_bytes, connect
from eventbus.relay import Relay
from tests.integration.conftest import Bus
from tests.support import wait


def _user_event(n: int) -> Any:
    return envelope.new_event("user.registered", "/services/gateway", f"user{n}",
                              {"username": f"user{n}", "email": f"u{n}@example.org", "locale": "zh", "roles": []})


def _submitted_event() -> Any:
    return envelope.new_event("application.submitted", "/services/applications", "a1", {
        "application_id": "6a1b9f8e-3c2d-4e5f-8a9b-0c1d2e3f4a5b", "kind": "student_exchange", "applicant": "alice",
        "applicant_name": "Alice Wang", "applicant_email": "alice@example.org", "locale": "en", "school": "cs",
        "program_id": None, "title": "Berlin", "version": 2, "submitted_at": "2026-11-28T10:00:00+00:00"})


def _bind_probe(bus: Bus, *routing_keys: str) -> None:
    with connect(bus.broker_url) as connection:
        topology.declare(connection, "probe", list(routing_keys), retry_delay_ms=1000)


def _take(bus: Bus, queue: str = "probe.events") -> list[str]:
    """Consume what the probe queue holds now; returns the message ids in arrival order."""
    ids = []
    with connect(bus.broker_url) as connection:
        channel = connection.channel()
        while (raw := channel.basic_get(queue, no_ack=True)) is not None:
            ids.append(envelope.from_json(body_bytes(channel.message_to_python(raw))).get_id())
        channel.close()
    return ids


def _collect(bus: Bus, expected: int) -> list[str]:
    got: list[str] = []

    def enough() -> bool:
        got.extend(_take(bus))
        return len(got) >= expected

    wait.until(enough, what=f"{expected} messages on the probe queue")
    got.extend(_take(bus))
    return got


def _relay(bus: Bus, **kwargs: Any) -> Relay:
    return Relay(bus.engine, bus.broker_url, source="test", **{"sweep_seconds": 0.5, **kwargs})


def _pending(bus: Bus) -> list[Any]:
    with bus.engine.connect() as c:
        return list(c.execute(select(tables.outbox).where(tables.outbox.c.sent_at.is_(None))))


def test_pending_rows_are_published_in_order_and_marked_sent(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    _bind_probe(bus, "user.registered")
    events = [_user_event(n) for n in range(60)]
    for chunk in (events[:25], events[25:]):
        with bus.sessions() as session, session.begin():
            for event in chunk:
                outbox.add(session, event)
    running(_relay(bus, batch_size=10))
    assert _collect(bus, 60) == [e.get_id() for e in events]
    wait.until(lambda: _pending(bus) == [], what="all rows marked sent")


def test_an_unroutable_event_stays_pending_and_goes_out_once_a_queue_is_bound(
    bus: Bus, running  # type: ignore[no-untyped-def]
) -> None:
    _bind_probe(bus, "user.registered")
    lost, fine = _submitted_event(), _user_event(1)
    with bus.sessions() as session, session.begin():
        outbox.add(session, lost)
        outbox.add(session, fine)
    running(_relay(bus))
    assert _collect(bus, 1) == [fine.get_id()]
    stuck = wait.until(lambda: [r for r in _pending(bus) if r.attempts >= 2], what="the unroutable row retried")
    assert [r.event_id for r in stuck] == [lost.get_id()]
    assert "no queue bound for 'application.submitted'" in stuck[0].last_error
    with bus.sessions() as session:
        report = outbox.status(session)
    assert report["pending"] == 1 and report["stuck"][0]["event_id"] == lost.get_id()

    _bind_probe(bus, "user.registered", "application.submitted")  # a consumer appears
    assert _collect(bus, 1) == [lost.get_id()]
    wait.until(lambda: _pending(bus) == [], what="the once-unroutable row marked sent")


def test_a_commit_wakes_the_relay_without_waiting_for_the_sweep(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    _bind_probe(bus, "user.registered")
    relay = _relay(bus, sweep_seconds=300)  # the sweep would come far after the wait below gives up
    running(relay)
    first = _user_event(1)
    with bus.sessions() as session, session.begin():
        outbox.add(session, first)
    assert _collect(bus, 1) == [first.get_id()]  # the first drain happens at start anyway
    second = _user_event(2)
    with bus.sessions() as session, session.begin():
        outbox.add(session, second)
    assert _collect(bus, 1) == [second.get_id()]


@pytest.mark.parametrize("bus", ["rabbitmq+postgres"], indirect=True)
def test_two_relays_side_by_side_publish_every_event_exactly_once(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    _bind_probe(bus, "user.registered")
    events = [_user_event(n) for n in range(400)]
    with bus.sessions() as session, session.begin():
        for event in events:
            outbox.add(session, event)
    running(_relay(bus, batch_size=10))
    running(_relay(bus, batch_size=10))
    got = _collect(bus, 400)
    wait.until(lambda: _pending(bus) == [], what="all rows marked sent")
    got += _take(bus)
    assert len(got) == 400
    assert set(got) == {e.get_id() for e in events}
