"""The relay: publishes pending outbox rows, in id order, to `mobility.events`; marks them sent on confirm.

- Batches: one transaction per batch; the batch is published, then confirmed by the broker as a whole (one
  wait for all its acks), and only confirmed rows are marked.
- PostgreSQL: rows are claimed with FOR UPDATE SKIP LOCKED, so several relays can run side by side.
- An unroutable event (basic.return) stays pending with its error and is retried on the slow sweep.
- Broker or database down: back off exponentially, keep the rows, resume by itself.
- Woken right after a commit (eventbus.wakeup); sweeps every `sweep_seconds` as a backup.
A crash between publish and mark republishes the event: consumers dedup by event id.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, Select, bindparam, select, update

from eventbus import metrics, wakeup
from eventbus.broker import Outcome, Outgoing, Publisher, PublishInterrupted, open_connection
from eventbus.tables import outbox
from eventbus.topology import declare_exchange
from eventbus.wakeup import Waiter

log = structlog.get_logger(__name__)


class Relay:
    def __init__(
        self,
        engine: Engine,
        broker_url: str,
        *,
        source: str,
        batch_size: int = 200,
        sweep_seconds: float = 5.0,
        heartbeat: int = 30,
    ) -> None:
        self.engine = engine
        self.broker_url = broker_url
        self.source = source
        self.batch_size = batch_size
        self.sweep_seconds = sweep_seconds
        self.heartbeat = heartbeat
        self._next_sweep = 0.0
        self._fresh, self._swept = _claims(batch_size, locking=engine.dialect.name == "postgresql")
        wakeup.install()  # commits in this process that write to the outbox wake this relay

    def run(self, stop: threading.Event) -> None:
        waiter = Waiter(self.engine)
        waiter.listen()
        connection = None
        backoff = 0.2
        log.info("relay.started", source=self.source)
        while not stop.is_set():
            try:
                if connection is None:
                    connection = open_connection(self.broker_url, self.heartbeat)
                    declare_exchange(connection)
                    publisher = Publisher(connection)
                    log.info("relay.connected", source=self.source)
                published, full = self.drain_batch(publisher)
                backoff = 0.2
                if not full:
                    waiter.wait(self.sweep_seconds)
            except Exception as exc:
                log.warning("relay.backoff", source=self.source, error=repr(exc), seconds=backoff)
                if connection is not None:
                    _close_quietly(connection)
                    connection = None
                stop.wait(backoff)
                backoff = min(backoff * 2, 15.0)
        waiter.close()
        if connection is not None:
            _close_quietly(connection)
        log.info("relay.stopped", source=self.source)

    def drain_batch(self, publisher: Publisher) -> tuple[int, bool]:
        """Publish one batch. Returns (how many were published, whether the batch was full)."""
        sweep = time.monotonic() >= self._next_sweep
        if sweep:
            self._next_sweep = time.monotonic() + self.sweep_seconds
        with self.engine.begin() as connection:
            rows = connection.execute(self._swept if sweep else self._fresh).all()
            by_event = {row.event_id: row for row in rows}
            messages = [Outgoing(row.body.encode("utf-8"), routing_key=row.type, message_id=row.event_id)
                        for row in rows]
            broker_error: PublishInterrupted | None = None
            try:
                outcome = publisher.publish_many(messages) if messages else Outcome()
            except PublishInterrupted as exc:  # what the broker answered before it failed is in the outcome
                outcome, broker_error = exc.outcome, exc
            sent: list[int] = []
            for m in outcome.confirmed:
                sent.append(by_event[m.message_id].id)
                metrics.PUBLISHED.labels(self.source, m.routing_key).inc()
            failed: dict[int, str] = {}
            for m in outcome.unroutable:
                failed[by_event[m.message_id].id] = f"no queue bound for {m.routing_key!r}"
                log.warning("relay.unroutable", event_id=m.message_id, type=m.routing_key)
            if outcome.nacked:  # stay pending untouched; the next drain publishes them again
                log.warning("relay.nacked", count=len(outcome.nacked), first_event_id=outcome.nacked[0].message_id)
            # Even when the broker fails mid-batch, what it confirmed is marked and committed.
            _mark(connection, sent, failed)
        if broker_error is not None:
            raise broker_error
        # A nacking broker is not hammered: nacked rows wait for the next wake-up or sweep.
        return len(sent), len(rows) == self.batch_size and not outcome.nacked


def _claims(batch_size: int, *, locking: bool) -> tuple[Select[Any], Select[Any]]:
    """The two claims of a batch, built once: the fresh rows in order (rows that failed before, unroutable, wait for
    the sweep), and the sweep's, fewest attempts first, so fresh rows keep their order and rows that keep failing
    rotate behind each other (no errored row starved by a batch of older ones). PostgreSQL: FOR UPDATE SKIP
    LOCKED, so several relays can run side by side."""
    pending = select(outbox.c.id, outbox.c.event_id, outbox.c.type, outbox.c.body).where(outbox.c.sent_at.is_(None))
    fresh = pending.where(outbox.c.last_error.is_(None)).order_by(outbox.c.id).limit(batch_size)
    swept = pending.order_by(outbox.c.attempts, outbox.c.id).limit(batch_size)
    if locking:
        fresh, swept = fresh.with_for_update(skip_locked=True), swept.with_for_update(skip_locked=True)
    return fresh, swept


_SENT = (update(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True)))
         .values(sent_at=bindparam("now"), last_error=None))
_FAILED = (update(outbox).where(outbox.c.id == bindparam("row_id"))
           .values(attempts=outbox.c.attempts + 1, last_error=bindparam("error")))


def _mark(connection: Connection, sent: list[int], failed: dict[int, str]) -> None:
    if sent:
        connection.execute(_SENT, {"ids": sent, "now": datetime.now(UTC)})
    for row_id, error in failed.items():
        connection.execute(_FAILED, {"row_id": row_id, "error": error})


def _close_quietly(connection) -> None:  # type: ignore[no-untyped-def]
    try:
        connection.release()
    except Exception:
        pass
