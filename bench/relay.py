"""2. Relay throughput: the outbox relay (eventbus.relay.Relay, as the workers run it) draining N pending rows
against the floor: raw kombu publishing of the same N events, persistent, with a confirm per message.
Both go to the same quorum queue, bound to `mobility.events` under a routing key no service listens to."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from kombu import Connection, Producer, Queue
from sqlalchemy import func, select

from chassis.db import make_engine
from eventbus import envelope
from eventbus.relay import Relay
from eventbus.tables import outbox
from eventbus.topology import EXCHANGE

ROUTING_KEY = "bench.relayed"
QUEUE = "bench.relay"


@dataclass(frozen=True)
class Rates:
    relay: float  # events per second, confirmed and marked sent
    raw: float  # events per second, confirmed one by one
    events: int


def _events(count: int) -> list[tuple[str, str]]:
    """(event id, CloudEvent JSON) shaped like application.submitted, about 1 KB each."""
    out = []
    for n in range(count):
        event = envelope.new_event("application.submitted", "/services/applications", str(uuid.uuid4()), {
            "application_id": str(uuid.uuid4()), "kind": "student_exchange", "applicant": f"student{n}",
            "applicant_name": "Wang Xiaoming", "applicant_email": f"student{n}@example.edu", "locale": "zh",
            "school": "cs", "program_id": str(uuid.uuid4()), "title": "Exchange semester at TU Berlin, 2031 fall",
            "version": 2, "submitted_at": datetime.now(UTC).isoformat(), "destination_country": "DE",
            "duration_days": 150, "budget": "85000.00"})
        out.append((event.get_id(), envelope.to_json(event).decode("utf-8")))
    return out


def _queue() -> Queue:
    return Queue(QUEUE, EXCHANGE, routing_key=ROUTING_KEY, durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def _reset_queue(broker_url: str) -> None:
    with Connection(broker_url) as connection:
        queue = _queue()(connection.default_channel)
        queue.declare()
        queue.purge()


def raw_publish(broker_url: str, events: list[tuple[str, str]]) -> float:
    _reset_queue(broker_url)
    with Connection(broker_url, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.default_channel)
        started = time.perf_counter()
        for event_id, body in events:
            producer.publish(body.encode("utf-8"), exchange=EXCHANGE, routing_key=ROUTING_KEY, delivery_mode=2,
                             content_type="application/cloudevents+json", content_encoding="utf-8",
                             message_id=event_id, retry=False)
        elapsed = time.perf_counter() - started
    return len(events) / elapsed


def relay_drain(broker_url: str, database_url: str, events: list[tuple[str, str]], batch_size: int) -> float:
    _reset_queue(broker_url)
    engine = make_engine(database_url)
    outbox.metadata.create_all(engine, tables=[outbox])
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(outbox.delete())
        connection.execute(outbox.insert(), [
            {"event_id": event_id, "type": ROUTING_KEY, "subject": event_id, "body": body, "created_at": now}
            for event_id, body in events
        ])
    relay = Relay(engine, broker_url, source="bench", batch_size=batch_size, sweep_seconds=1.0)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    pending = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
    started = time.perf_counter()
    thread.start()
    try:
        while True:
            with engine.connect() as connection:
                if connection.scalar(pending) == 0:
                    break
            if not thread.is_alive():
                raise RuntimeError("the relay stopped before the outbox was drained")
            time.sleep(0.02)  # the relay runs in this process: polling faster would take its CPU
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        thread.join(timeout=30)
        engine.dispose()
    return len(events) / elapsed


def measure(broker_url: str, database_url: str, count: int, batch_size: int) -> Rates:
    events = _events(count)
    with Connection(broker_url) as connection:  # the exchange, as `mobility declare` makes it
        EXCHANGE(connection.default_channel).declare()
    raw = raw_publish(broker_url, events)
    drained = relay_drain(broker_url, database_url, events, batch_size)
    _reset_queue(broker_url)
    return Rates(relay=drained, raw=raw, events=count)
