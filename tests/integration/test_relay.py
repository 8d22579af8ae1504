"""The relay: order, confirms, unroutable events kept pending, competing relays, wake-up on commit; the batched,
confirmed publish under it."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import amqp
import pytest
from amqp.exceptions import ChannelError
from sqlalchemy import event, select

from eventbus import broker, envelope, outbox, tables, topology
from eventbus.broker import Outcome, Outgoing, Publisher, PublishInterrupted, body_bytes, connect
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


def test_writing_events_costs_one_statement_each_the_wake_up_none_of_its_own(bus: Bus) -> None:
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(bus.engine, "before_cursor_execute", listener)
    try:
        with bus.sessions() as session, session.begin():
            outbox.add(session, _user_event(1))
            outbox.add(session, _user_event(2))
    finally:
        event.remove(bus.engine, "before_cursor_execute", listener)
    assert len(statements) == 2 and all(s.startswith("INSERT INTO outbox") for s in statements), statements
    assert len(_pending(bus)) == 2


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


def _add(bus: Bus, events: list[Any]) -> None:
    with bus.sessions() as session, session.begin():
        for event in events:
            outbox.add(session, event)


def _sent_ids(bus: Bus) -> list[str]:
    with bus.engine.connect() as c:
        query = select(tables.outbox.c.event_id).where(tables.outbox.c.sent_at.is_not(None)).order_by(
            tables.outbox.c.id)
        return list(c.scalars(query))


def _outgoing(events: list[Any]) -> list[Outgoing]:
    return [Outgoing(envelope.to_json(e), routing_key=e.get_type(), message_id=e.get_id()) for e in events]


def test_an_unroutable_event_in_the_middle_of_a_batch_stays_pending_and_the_others_go_out_in_order(
    bus: Bus,
) -> None:
    _bind_probe(bus, "user.registered")
    before, lost, after = [_user_event(n) for n in range(3)], _submitted_event(), [_user_event(n) for n in range(3, 6)]
    _add(bus, [*before, lost, *after])
    relay = _relay(bus, batch_size=10)
    with connect(bus.broker_url) as connection:
        assert relay.drain_batch(Publisher(connection)) == (6, False)  # one batch held all seven rows
    routable = [e.get_id() for e in (*before, *after)]
    assert _collect(bus, 6) == routable
    assert _sent_ids(bus) == routable
    [stuck] = _pending(bus)
    assert (stuck.event_id, stuck.attempts) == (lost.get_id(), 1)
    assert stuck.last_error == "no queue bound for 'application.submitted'"


def test_a_batch_is_published_whole_then_confirmed_with_every_message_on_the_queue(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bind_probe(bus, "user.registered")
    warmup, events = _user_event(0), [_user_event(n) for n in range(1, 301)]
    messages = _outgoing(events)
    calls: list[str] = []  # on RabbitMQ: each publish frame sent, each blocking read of the broker's answers
    publish, drain = amqp.Channel._basic_publish, amqp.Connection.drain_events

    def spy_publish(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
        calls.append("publish")
        return publish(self, *args, **kwargs)

    def spy_drain(self, timeout: float | None = None) -> Any:  # type: ignore[no-untyped-def]
        if timeout != 0:  # py-amqp peeks with timeout=0 before each publish (connection.blocked); not a wait
            calls.append("wait")
        return drain(self, timeout=timeout)

    with connect(bus.broker_url) as connection:
        publisher = Publisher(connection)
        # A first batch opens the publisher's confirm channel (channel.open and confirm.select wait for replies).
        assert publisher.publish_many(_outgoing([warmup])) == Outcome(confirmed=_outgoing([warmup]))
        monkeypatch.setattr(amqp.Channel, "_basic_publish", spy_publish)
        monkeypatch.setattr(amqp.Connection, "drain_events", spy_drain)
        outcome = publisher.publish_many(messages)
        monkeypatch.undo()
    assert outcome == Outcome(confirmed=messages)
    assert _collect(bus, 301) == [e.get_id() for e in (warmup, *events)]
    if bus.kind == "rabbitmq+postgres":  # memory:// has no confirms to wait for
        assert calls.count("publish") == 300 and "wait" in calls
        assert calls.index("wait") > max(i for i, c in enumerate(calls) if c == "publish"), \
            "a wait for confirms came before the last message of the batch was published"


class _ChannelFailsMidBatch(Publisher):
    """Slips a message for an exchange that does not exist into the batch after `after` messages: RabbitMQ
    closes the channel (404), and every message published after it on that channel is dropped."""

    def __init__(self, connection: Any, after: int) -> None:
        super().__init__(connection)
        self.after = after

    def publish_many(self, messages: Any, **kwargs: Any) -> Outcome:
        poison = Outgoing(b"{}", routing_key="nowhere", message_id="poison", exchange="no.such.exchange")
        return super().publish_many([*messages[: self.after], poison, *messages[self.after:]], **kwargs)


@pytest.mark.parametrize("bus", ["rabbitmq+postgres"], indirect=True)
def test_a_channel_failing_mid_batch_leaves_the_unconfirmed_rows_pending_and_raises(bus: Bus) -> None:
    _bind_probe(bus, "user.registered")
    events = [_user_event(n) for n in range(40)]
    _add(bus, events)
    relay = _relay(bus, batch_size=50)
    with connect(bus.broker_url) as connection, pytest.raises(PublishInterrupted) as raised:
        relay.drain_batch(_ChannelFailsMidBatch(connection, after=10))
    assert isinstance(raised.value.__cause__, ChannelError)
    on_queue = _take(bus)
    sent = _sent_ids(bus)
    assert set(sent) <= set(on_queue) <= {e.get_id() for e in events[:10]}  # marked only if confirmed
    assert [r.event_id for r in _pending(bus)] == [e.get_id() for e in events if e.get_id() not in sent]
    assert all(r.attempts == 0 and r.last_error is None for r in _pending(bus))  # untouched, not "unroutable"

    with connect(bus.broker_url) as connection:  # after the reconnect the rest goes out
        assert relay.drain_batch(Publisher(connection))[0] == len(events) - len(sent)
    assert _pending(bus) == []
    assert set(on_queue + _collect(bus, len(events) - len(sent))) == {e.get_id() for e in events}


class _FailsAfterConfirming:
    """A publisher whose broker confirms the first `confirmed` messages, answers nothing else, then fails."""

    def __init__(self, confirmed: int) -> None:
        self.confirmed = confirmed

    def publish_many(self, messages: list[Outgoing]) -> Outcome:
        outcome = Outcome(confirmed=messages[: self.confirmed], unconfirmed=messages[self.confirmed:])
        error = ConnectionResetError("connection cut while waiting for confirms")
        raise PublishInterrupted(outcome, error) from error


def test_what_the_broker_confirmed_before_failing_is_marked_and_committed_the_rest_untouched(bus: Bus) -> None:
    events = [_user_event(n) for n in range(5)]
    _add(bus, events)
    with pytest.raises(PublishInterrupted, match="connection cut"):
        _relay(bus).drain_batch(_FailsAfterConfirming(2))  # type: ignore[arg-type]
    assert _sent_ids(bus) == [e.get_id() for e in events[:2]]
    assert [(r.event_id, r.attempts, r.last_error) for r in _pending(bus)] == [
        (e.get_id(), 0, None) for e in events[2:]]


class _ScriptedChannel:
    """Stands in for a py-amqp channel in confirm mode: records publishes, then plays the broker's answers."""

    def __init__(self, answers: list[tuple[Any, ...]]) -> None:
        self.events: defaultdict[str, set[Any]] = defaultdict(set)
        self.connection = self
        self.answers = answers
        self.published: list[str] = []

    def channel(self) -> _ScriptedChannel:
        return self

    def confirm_select(self) -> None:
        pass

    def prepare_message(self, body, priority, content_type, content_encoding, headers, properties):  # type: ignore[no-untyped-def]
        return SimpleNamespace(body=body, properties=properties)

    def _basic_publish(self, message: Any, exchange: str, routing_key: str, mandatory: bool) -> None:
        assert mandatory
        self.published.append(message.properties["message_id"])

    def drain_events(self, timeout: float | None = None) -> None:
        if not self.answers:
            raise ConnectionResetError("the broker went away")
        kind, *args = self.answers.pop(0)
        for callback in list(self.events[f"basic_{kind}"]):
            callback(*args)

    def returned(self, message_id: str, routing_key: str) -> tuple[Any, ...]:
        message = SimpleNamespace(properties={"message_id": message_id})
        return ("return", ChannelError("NO_ROUTE"), "mobility.events", routing_key, message)

    def close(self) -> None:
        pass


def test_confirms_are_matched_by_delivery_tag_with_multiple_acks_nacks_and_returns() -> None:
    first = [Outgoing(b"{}", routing_key=f"t.{n}", message_id=f"m{n}") for n in range(1, 6)]
    channel = _ScriptedChannel([])
    channel.answers = [
        channel.returned("m2", "t.2"),  # m2 unroutable: its return comes before its ack
        ("ack", 3, True),  # acks 1, 2 and 3 at once
        ("nack", 4, False),
        ("ack", 5, False),
        ("ack", 7, True),  # the second batch: tags go on counting on the same channel
    ]
    confirms = broker._ConfirmChannel(channel)  # type: ignore[arg-type]
    confirms.publish_and_wait(first, timeout=5)
    assert confirms.outcome() == Outcome(confirmed=[first[0], first[2], first[4]], unroutable=[first[1]],
                                         nacked=[first[3]])
    second = [Outgoing(b"{}", routing_key="t.6", message_id="m6"), Outgoing(b"{}", routing_key="t.7", message_id="m7")]
    confirms.publish_and_wait(second, timeout=5)
    assert confirms.outcome() == Outcome(confirmed=second)

    third = [Outgoing(b"{}", routing_key=f"t.{n}", message_id=f"m{n}") for n in range(8, 11)]
    channel.answers = [("ack", 8, False)]  # then the connection drops
    with pytest.raises(ConnectionResetError):
        confirms.publish_and_wait(third, timeout=5)
    assert confirms.outcome() == Outcome(confirmed=third[:1], unconfirmed=third[1:])
    assert channel.published == [f"m{n}" for n in range(1, 11)]
