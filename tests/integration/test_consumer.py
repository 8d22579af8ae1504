"""The consumer: one effect per event, retries then parking with the reason, poison parked at once, replay."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from eventbus import dlq, envelope, topology
from eventbus.broker import Publisher, connect
from eventbus.consumer import Consumer
from eventbus.topology import EXCHANGE
from tests.integration.conftest import Bus, effects, memory_bus
from tests.support import wait

MOBILITY = str(Path(sys.executable).parent / "mobility")
SERVICE = "probe"
QUEUE = "probe.events"


def _event() -> CloudEvent:
    return envelope.new_event(
        "user.registered", "/services/gateway", "alice",
        {"username": "alice", "email": "alice@example.org", "locale": "en", "roles": []},
    )


def _effect(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    session.execute(effects.insert().values(event_id=event.get_id()))


def _consumer(bus: Bus, handler=_effect, max_attempts: int = 3,  # type: ignore[no-untyped-def]
              retry_delay_ms: int = 200) -> Consumer:
    return Consumer(service=SERVICE, engine=bus.engine, broker_url=bus.broker_url,
                    handlers={"user.registered": handler}, retry_delay_ms=retry_delay_ms, max_attempts=max_attempts)


def _publish(bus: Bus, body: bytes, message_id: str = "m-1", routing_key: str = "user.registered") -> None:
    with connect(bus.broker_url) as connection:
        Publisher(connection).publish(body, routing_key=routing_key, message_id=message_id, exchange=EXCHANGE)


def _parked(bus: Bus) -> list[dlq.Parked]:
    with connect(bus.broker_url) as connection:
        return dlq.list_parked(connection, QUEUE)


def _started(bus: Bus, running, **kwargs) -> Consumer:  # type: ignore[no-untyped-def]
    consumer = _consumer(bus, **kwargs)
    running(consumer)
    assert consumer.ready.wait(15)
    return consumer


def test_a_duplicate_delivery_has_no_second_effect(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    _started(bus, running)
    event = _event()
    body = envelope.to_json(event)
    _publish(bus, body, event.get_id())
    _publish(bus, body, event.get_id())
    wait.until(lambda: bus.count_inbox() == 1, what="the event applied")
    _publish(bus, body, event.get_id())  # a third copy after the first commit, too
    # One consumer takes its queue in order: once the sentinel behind the copies is applied,
    # every copy has been through the consumer.
    sentinel = _event()
    _publish(bus, envelope.to_json(sentinel), sentinel.get_id())
    wait.until(lambda: bus.count_inbox() == 2, what="the sentinel applied")
    assert bus.count_effects() == 2  # the event once, the sentinel once
    assert _parked(bus) == []


def test_a_handler_that_fails_once_succeeds_on_retry(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def flaky(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        calls.append(event.get_id())
        if len(calls) == 1:
            raise RuntimeError("database said no, once")
        _effect(session, data, event)

    _started(bus, running, handler=flaky)
    event = _event()
    _publish(bus, envelope.to_json(event), event.get_id())
    wait.until(lambda: bus.count_effects() == 1, what="the retried event applied")
    assert len(calls) == 2
    assert _parked(bus) == []


def test_the_handlers_of_one_type_apply_all_or_none(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    """Two readers of one event share its transaction: the second failing once undoes the first's effect, so
    the retry applies both exactly once."""
    calls: list[str] = []

    def second(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        calls.append(data["username"])
        if len(calls) == 1:
            raise RuntimeError("the second reader fails once")

    _started(bus, running, handler=[_effect, second])
    event = _event()
    _publish(bus, envelope.to_json(event), event.get_id())
    wait.until(lambda: len(calls) == 2 and bus.count_inbox() == 1, what="the retried event applied")
    assert bus.count_effects() == 1  # the first attempt's effect was rolled back with the failure
    assert calls == ["alice", "alice"]


def test_a_handler_that_always_raises_is_parked_after_n_attempts_and_can_be_replayed(
    bus: Bus, running, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    calls: list[str] = []
    healthy = {"now": False}

    def failing(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        calls.append(event.get_id())
        if not healthy["now"]:
            raise ValueError("partner institution 'x' does not exist")
        _effect(session, data, event)

    _started(bus, running, handler=failing, max_attempts=3)
    event = _event()
    body = envelope.to_json(event)
    _publish(bus, body, event.get_id())

    parked = wait.until(_parked_now(bus), what="the message parked in probe.events.dlq")
    assert len(calls) == 3
    assert len(parked) == 1
    assert parked[0].body == body
    assert parked[0].attempts == 3
    assert "partner institution 'x' does not exist" in parked[0].error
    assert parked[0].event_type == "user.registered"
    assert bus.count_effects() == 0 and bus.count_inbox() == 0
    assert len(_parked(bus)) == 1  # listing does not consume

    healthy["now"] = True
    if bus.kind.startswith("rabbitmq"):  # the operator's commands, as a separate process
        env = {"MOBILITY_BROKER_URL": bus.broker_url, "PATH": "/usr/bin:/bin"}
        listed = subprocess.run([MOBILITY, "dlq", "list", QUEUE], env=env, capture_output=True, text=True,
                                timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert event.get_id() in listed.stdout and "does not exist" in listed.stdout
        replayed = subprocess.run([MOBILITY, "dlq", "replay", QUEUE], env=env, capture_output=True, text=True,
                                  timeout=60)
        assert replayed.returncode == 0, replayed.stderr
        assert "replayed 1" in replayed.stdout
    else:  # the in-memory broker lives in this process: same functions the command calls
        with connect(bus.broker_url) as connection:
            assert dlq.replay(connection, QUEUE) == 1
    wait.until(lambda: bus.count_effects() == 1, what="the replayed event applied")
    assert _parked(bus) == []


def _parked_now(bus: Bus):  # type: ignore[no-untyped-def]
    return lambda: _parked(bus)


def test_a_garbled_body_is_parked_at_once(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    _started(bus, running, handler=lambda s, e: calls.append(e.get_id()))
    _publish(bus, b"\x00\xffthis is not json{", "garbled-1")
    parked = wait.until(_parked_now(bus), what="the garbled message parked")
    assert parked[0].attempts == 0
    assert "not a CloudEvents JSON document" in parked[0].error
    assert parked[0].event_type is None
    assert calls == []


def test_schema_invalid_data_is_parked_at_once(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    _started(bus, running, handler=lambda s, e: calls.append(e.get_id()))
    bad = envelope.new_event("user.registered", "/services/gateway", "x", {"username": "x"})  # no email, roles
    _publish(bus, envelope.to_json(bad), bad.get_id())
    parked = wait.until(_parked_now(bus), what="the invalid event parked")
    assert parked[0].attempts == 0
    assert "'email' is a required property" in parked[0].error
    assert calls == []
    assert bus.count_inbox() == 0


def test_every_ack_is_an_effect_a_duplicate_or_a_parked_message(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    """Poison of each kind ends parked with its reason, and no message is acked without effect unless it was
    a duplicate: the consumer's counters account for every message it took."""
    from eventbus import metrics

    def counted(outcome: str) -> float:
        return metrics.CONSUMED.labels(QUEUE, "user.registered", outcome)._value.get()  # type: ignore[attr-defined]

    def parked_count() -> float:
        return metrics.PARKED.labels(QUEUE)._value.get()  # type: ignore[attr-defined]

    before = (counted("applied"), counted("duplicate"), parked_count())

    def effect_unless_failing(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        if event.get_subject() == "fails":
            raise RuntimeError("this handler always fails for this one")
        _effect(session, data, event)

    _started(bus, running, handler=effect_unless_failing, max_attempts=2)
    good = [_event() for _ in range(5)]
    for event in good:
        _publish(bus, envelope.to_json(event), event.get_id())
    _publish(bus, envelope.to_json(good[0]), good[0].get_id())  # two duplicates
    _publish(bus, envelope.to_json(good[1]), good[1].get_id())
    _publish(bus, b"\x00garbled", "poison-1")  # undecodable
    invalid = envelope.new_event("user.registered", "/services/gateway", "x", {"username": "x"})
    _publish(bus, envelope.to_json(invalid), invalid.get_id())  # schema-invalid
    failing = envelope.new_event("user.registered", "/services/gateway", "fails",
                                 {"username": "f", "email": "f@example.org", "locale": "en", "roles": []})
    _publish(bus, envelope.to_json(failing), failing.get_id())  # handler always fails

    parked = wait.until(lambda: (p := _parked(bus)) and len(p) == 3 and p, timeout=30, what="three parked")
    reasons = sorted(p.error for p in parked)
    assert any("not a CloudEvents JSON document" in r for r in reasons)
    assert any("'email' is a required property" in r for r in reasons)
    assert any("this handler always fails" in r for r in reasons)
    wait.until(lambda: counted("duplicate") - before[1] == 2, what="the duplicates counted")
    assert bus.count_effects() == 5
    assert counted("applied") - before[0] == 5  # every applied message made its effect
    assert parked_count() - before[2] == 3
    # 5 applied + 2 duplicates + 3 parked = the 10 messages published: none acked without effect otherwise.


def test_the_cpu_spent_on_each_event_type_is_counted(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    """What the benchmark's cost-per-event table reads: the consumer thread's CPU per message, by type."""
    from eventbus.metrics import HANDLER_CPU

    def burn(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        _effect(session, data, event)
        sum(i * i for i in range(200_000))  # a handler that costs CPU, measurably

    before = HANDLER_CPU.labels(QUEUE, "user.registered")._value.get()
    _started(bus, running, handler=burn)
    event = _event()
    _publish(bus, envelope.to_json(event), event.get_id())
    wait.until(lambda: bus.count_inbox() == 1, what="the event applied")
    wait.until(lambda: HANDLER_CPU.labels(QUEUE, "user.registered")._value.get() - before > 0.005,
               what="the handler's CPU counted")


def _queued_before_start(bus: Bus, events: list[CloudEvent]) -> None:
    """The events wait in the queue before the consumer starts, so the broker sends them at once."""
    with connect(bus.broker_url) as connection:
        topology.declare(connection, SERVICE, ["user.registered"], 200)
    for event in events:
        _publish(bus, envelope.to_json(event), event.get_id())


def _left_in_queue(bus: Bus) -> int:
    with connect(bus.broker_url) as connection:
        return connection.channel().queue_declare(QUEUE, passive=True).message_count


def test_waiting_events_are_applied_a_batch_per_transaction_and_all_acked(bus: Bus) -> None:
    """Thirty events already queued: a batch shares one transaction (one inbox insert, one commit) and one
    multiple ack; a second copy inside a batch is a duplicate; once the consumer stops, nothing is left unacked
    (an unacked message would be back in the queue)."""
    events = [_event() for _ in range(30)]
    _queued_before_start(bus, [*events, events[3]])
    commits: list[object] = []
    count = commits.append
    sa_event.listen(bus.engine, "commit", count)
    consumer = _consumer(bus)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait.until(lambda: bus.count_inbox() == 30, what="every queued event applied")
        wait.until(lambda: consumer.ready.is_set() and not consumer._received, what="the last batch handled")
    finally:
        stop.set()
        thread.join(timeout=15)
        sa_event.remove(bus.engine, "commit", count)
    assert bus.count_effects() == 30  # the copy had no second effect
    assert len(commits) < 15, f"{len(commits)} transactions for 30 events: not batched"
    assert _left_in_queue(bus) == 0


def _failing_for(event_id: str, times: int, error: Exception):  # type: ignore[no-untyped-def]
    """A handler that raises `error` the first `times` times it sees `event_id`, and its calls by event id."""
    calls: dict[str, int] = {}

    def handler(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        calls[event.get_id()] = calls.get(event.get_id(), 0) + 1
        if event.get_id() == event_id and calls[event_id] <= times:
            raise error
        _effect(session, data, event)

    return handler, calls


def _batch_applied(bus: Bus, running, handler, events: list[CloudEvent]) -> None:  # type: ignore[no-untyped-def]
    _queued_before_start(bus, events)
    _started(bus, running, handler=handler)
    wait.until(lambda: bus.count_inbox() == len(events), what="every queued event applied")
    assert bus.count_effects() == len(events)  # what a rolled-back batch did was undone


def test_a_failing_event_in_a_batch_is_retried_alone(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    """The handler fails twice for one of ten queued events: the batch is rolled back and applied message by
    message, so the nine others apply once and only the failing one goes to the retry queue."""
    from eventbus import metrics

    events = [_event() for _ in range(10)]
    failing = events[4].get_id()
    handler, calls = _failing_for(failing, 2, RuntimeError("this one fails twice"))
    retried = metrics.RETRIED.labels(QUEUE, "handler_failed")
    before = retried._value.get()  # type: ignore[attr-defined]
    _batch_applied(bus, running, handler, events)
    assert calls[failing] == 3  # in the batch, alone, and after its retry
    assert retried._value.get() - before == 1  # type: ignore[attr-defined]  # only the failing one
    assert all(calls[e.get_id()] <= 2 for e in events if e.get_id() != failing)  # the failed batch, then alone


class _Deadlock(Exception):
    sqlstate = "40P01"  # PostgreSQL's deadlock_detected: an operational error that is not an outage


def test_a_deadlock_in_a_batch_is_not_an_outage(bus: Bus, running) -> None:  # type: ignore[no-untyped-def]
    """A batch that loses a deadlock is applied message by message at once; it is not sent down the retry path
    as if the database were down (that would delay every message of it and count nothing)."""
    from sqlalchemy.exc import OperationalError

    from eventbus import metrics

    events = [_event() for _ in range(10)]
    unlucky = events[3].get_id()
    handler, calls = _failing_for(unlucky, 1, OperationalError("UPDATE stats …", {}, _Deadlock("deadlock")))
    delayed = metrics.RETRIED.labels(QUEUE, "database_unavailable")
    before = delayed._value.get()  # type: ignore[attr-defined]
    _batch_applied(bus, running, handler, events)
    assert calls[unlucky] == 2  # the batch, then alone
    assert delayed._value.get() - before == 0  # type: ignore[attr-defined]


def test_in_memory_a_retry_waiting_when_its_consumer_stops_goes_back_to_the_queue_at_once(tmp_path: Path) -> None:
    """The embedded transport's retry queue is a timer per message: one still waiting when the consumer stops is
    sent back then, so a consumer started again applies it at once, and no timer fires after the broker is gone."""
    bus = memory_bus(tmp_path)
    calls: list[str] = []

    def refusing(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        calls.append(event.get_id())
        raise RuntimeError("not now")

    def run(handler, retry_delay_ms: int) -> tuple[threading.Event, threading.Thread]:  # type: ignore[no-untyped-def]
        consumer = _consumer(bus, handler=handler, retry_delay_ms=retry_delay_ms)
        stop = threading.Event()
        thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
        thread.start()
        assert consumer.ready.wait(15)
        return stop, thread

    stop, thread = run(refusing, retry_delay_ms=600_000)  # the retry would wait ten minutes
    event = _event()
    _publish(bus, envelope.to_json(event), event.get_id())
    wait.until(lambda: calls, what="the first attempt")
    stop.set()
    thread.join(15)
    stop, thread = run(_effect, retry_delay_ms=200)
    try:
        wait.until(lambda: bus.count_effects() == 1, what="the waiting retry applied by the next consumer")
    finally:
        stop.set()
        thread.join(15)
        bus.engine.dispose()
    assert calls == [event.get_id()]
