"""The consumer: applies events from a service's queue exactly once in effect, a batch at a time.

The messages the broker has already sent (up to `batch_size`, gathered for at most `GATHER_SECONDS`) are
handled together:
- undecodable body, unknown type or schema-invalid data → parked in `<queue>.dlq` at once, with the reason;
- the inbox rows (consumer, event id) of the whole batch go in one insert, and every handler's effects commit
  with them in ONE transaction; then the batch is acked with one multiple ack. An event whose inbox row
  existed (a redelivery, or a second copy in the same batch) is acked with no effect;
- a handler raised, or the batch's transaction failed → it is rolled back and each message is applied alone,
  in its own transaction, so only the failing message is retried: republished to `<queue>.retry` (TTL, then
  back to the queue) with `x-attempts`, parked after `max_attempts`; its original is acked only after that
  publish is confirmed;
- the database is unreachable (eventbus/outage.py: down, restarting, the connection cut; not a deadlock or a
  statement timeout, which are the batch's or the message's own) → the messages take the retry path without
  counting an attempt.
Publishing while inside a delivery callback could re-enter kombu, so deliveries are only collected there and
handled after `drain_events` returns.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from cloudevents.core.v1.event import CloudEvent
from kombu import Connection, Message
from kombu import Consumer as KombuConsumer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from eventbus import catalog, envelope, inbox, metrics, topology
from eventbus.broker import Publisher, body_bytes, open_connection
from eventbus.memory_retry import MemoryRetries
from eventbus.outage import database_unavailable

Handler = Callable[[Session, dict[str, Any], CloudEvent], None]
"""What a service does with one event: `(session, data, event)`, inside the transaction that records the inbox
row; `data` is the event's validated data, `event` the whole CloudEvent for its id, time and extensions."""
HandlerTable = Mapping[str, Handler | Sequence[Handler]]
log = structlog.get_logger(__name__)

GATHER_SECONDS = 0.002
"""How long a batch waits for more of what the broker is sending: at a trickle a batch is one message, late
by at most this; under load it fills to `batch_size` at once."""


def combine(*tables: HandlerTable) -> dict[str, list[Handler]]:
    """Handler tables merged per event type, in the order given: several readers of one event (the saga and the
    statistics, say) share its one transaction and its one inbox row, so they apply all or none."""
    combined: dict[str, list[Handler]] = {}
    for table in tables:
        for event_type, handlers in table.items():
            combined.setdefault(event_type, []).extend([handlers] if callable(handlers) else handlers)
    return combined


def apply(table: HandlerTable, session: Session, event: CloudEvent) -> None:
    """Every handler of the event's type, in the caller's transaction (the consumer's, or a test's), on data the
    catalog has validated: what a test applies is what the consumer would."""
    catalog.validate(event.get_type(), event.get_data())
    _run(combine(table).get(event.get_type(), []), session, event)


def _run(handlers: Sequence[Handler], session: Session, event: CloudEvent) -> None:
    data = event.get_data()
    with _bound(event):
        for handler in handlers:
            handler(session, data, event)  # type: ignore[arg-type]  # the catalog's schemas are objects


@dataclass
class _Delivery:
    """One readable message of a batch, and what became of it."""

    message: Message
    event: CloudEvent
    handlers: Sequence[Handler]
    attempts: int
    cpu: float  # this message's own decoding and handling, in the thread's CPU seconds
    applied: bool = False


class Consumer:
    def __init__(
        self,
        *,
        service: str,
        engine: Engine,
        broker_url: str,
        handlers: HandlerTable,
        retry_delay_ms: int = 5000,
        max_attempts: int = 5,
        prefetch_count: int = 40,
        batch_size: int = 20,
        heartbeat: int = 30,
        after_commit: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.service = service
        self.name = f"{service}.events"
        self.queues = topology.names(service)
        self.sessions = sessionmaker(bind=engine)
        self.broker_url = broker_url
        self.handlers = combine(handlers)
        self.retry_delay_ms = retry_delay_ms
        self.max_attempts = max_attempts
        self.prefetch_count = prefetch_count
        self.batch_size = max(1, batch_size)
        self.heartbeat = heartbeat
        self.after_commit = after_commit
        self.memory = broker_url.startswith("memory://")
        # the in-process transport has no retry queue (TTL, dead-lettering): timers play it
        self.memory_retries = MemoryRetries(broker_url, self.queues.main, retry_delay_ms / 1000) if self.memory \
            else None
        self._received: list[Message] = []  # delivered by kombu, not handled yet
        self._later: deque[tuple[Message, str, str, int]] = deque()
        self.ready = threading.Event()

    # -- the loop -------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            connection = None
            try:
                connection = open_connection(self.broker_url, self.heartbeat)
                topology.declare(connection, self.service, sorted(self.handlers), self.retry_delay_ms)
                self.publisher = Publisher(connection)
                main = topology.queues(self.service, sorted(self.handlers), self.retry_delay_ms)[0]
                channel = connection.channel()
                if self.memory:  # kombu's in-memory channel drops unacked messages on close unless told
                    channel.do_restore = True
                with KombuConsumer(
                    channel,
                    queues=[main],
                    auto_declare=False,  # declared just above, by topology (which knows an older queue's arguments)
                    on_message=self._received.append,
                    on_decode_error=self._undecodable,
                    prefetch_count=max(self.prefetch_count, self.batch_size),
                    no_ack=False,
                ):
                    log.info("consumer.started", queue=self.name)
                    self.ready.set()
                    backoff = 0.2
                    while not stop.is_set():
                        try:
                            connection.drain_events(timeout=0.5)
                        except TimeoutError:
                            connection.heartbeat_check()
                        self._gather(connection)
                        self._handle_batch()
            except Exception as exc:
                log.warning("consumer.backoff", queue=self.name, error=repr(exc), seconds=backoff)
                self._received.clear()  # unacked: redelivered by the broker (or restored, in memory)
                self._later.clear()
                stop.wait(backoff)
                backoff = min(backoff * 2, 15.0)
            finally:
                if connection is not None:
                    try:
                        connection.release()
                    except Exception:
                        pass
        if self.memory_retries is not None:
            self.memory_retries.send_now()
        log.info("consumer.stopped", queue=self.name)

    def _gather(self, connection: Connection) -> None:
        """Read what the broker has already sent, up to a batch, without waiting long for more."""
        deadline = time.monotonic() + GATHER_SECONDS
        while self._received and len(self._received) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                connection.drain_events(timeout=remaining)
            except TimeoutError:
                return

    # -- a batch ------------------------------------------------------------------------------------
    def _undecodable(self, message: Message, exc: Exception) -> None:
        # kombu could not even build the message (e.g. a bad compression header): park it as it is.
        log.error("consumer.poison", queue=self.name, error=f"undecodable message: {exc!r}")
        self._later.append((message, "park", f"undecodable message: {exc!r}", 0))

    def _handle_batch(self) -> None:
        batch = self._received[:]
        self._received.clear()  # the same list: kombu's callback appends to it
        if not batch:
            self._flush_later()  # an undecodable message, parked
            return
        started = time.thread_time()
        deliveries = [d for d in map(self._read, batch) if d is not None]
        done: list[_Delivery] = []
        if deliveries:
            together = self._apply(deliveries) if len(deliveries) > 1 else None
            if together is None:  # one message, or the batch failed: each alone, so only the failing one retries
                for delivery in deliveries:
                    done.extend(self._apply([delivery]) or [])
            else:
                done = together
        self._flush_later()  # the failures republished (and acked) before the batch's multiple ack covers them
        self._acknowledge(done)
        self._count(batch, deliveries, time.thread_time() - started)

    def _read(self, message: Message) -> _Delivery | None:
        started = time.thread_time()
        attempts = _attempts(message)
        try:
            event = envelope.from_json(body_bytes(message))
            handlers = self.handlers.get(event.get_type())
            if not handlers:
                raise catalog.SchemaError(f"{self.name} has no handler for {event.get_type()!r}")
            catalog.validate(event.get_type(), event.get_data())
        except (envelope.EnvelopeError, catalog.SchemaError) as exc:
            log.error("consumer.poison", queue=self.name, error=str(exc))
            self._later.append((message, "park", str(exc), attempts))
            return None
        return _Delivery(message, event, handlers, attempts, time.thread_time() - started)

    def _apply(self, deliveries: list[_Delivery]) -> list[_Delivery] | None:
        """The deliveries' inbox rows and effects in one transaction: the committed deliveries, or None when a
        batch of several failed (nothing of it was written) and each must be tried alone."""
        alone = len(deliveries) == 1
        try:
            with self.sessions() as session, session.begin():
                new = inbox.record(session, self.name, [d.event for d in deliveries])
                for delivery in deliveries:
                    started = time.thread_time()
                    delivery.applied = delivery.event.get_id() in new
                    new.discard(delivery.event.get_id())  # a second copy in the same batch is a duplicate
                    if delivery.applied:
                        _run(delivery.handlers, session, delivery.event)
                    delivery.cpu += time.thread_time() - started
                written = dict(session.info)  # what the handlers noted for after the commit
        except Exception as exc:
            if database_unavailable(exc):
                # Not the messages' fault: back after the retry delay, attempt not counted (a requeue would
                # count toward the queue's delivery limit).
                log.warning("consumer.database_unavailable", queue=self.name, error=str(exc))
                for delivery in deliveries:
                    self._later.append((delivery.message, "delay", str(exc)[:500], delivery.attempts))
                return []
            if not alone:
                log.info("consumer.batch_failed", queue=self.name, size=len(deliveries), error=repr(exc)[:500])
                return None
            with _bound(deliveries[0].event):
                self._failed(deliveries[0].message, exc, deliveries[0].attempts)
            return []
        if self.after_commit is not None and any(d.applied for d in deliveries):
            self.after_commit(written)
        return deliveries

    def _acknowledge(self, done: list[_Delivery]) -> None:
        if not done:
            return
        if self.memory:  # kombu's in-memory channel ignores `multiple`
            for delivery in done:
                delivery.message.ack()
        else:  # every delivery tag up to the batch's last: the failures among them were acked just before
            max(done, key=lambda d: d.message.delivery_tag).message.ack(multiple=True)
        for delivery in done:
            metrics.CONSUMED.labels(self.name, delivery.event.get_type(),
                                    "applied" if delivery.applied else "duplicate").inc()
            if not delivery.applied:  # rare, and what an operator looks for after a redelivery
                with _bound(delivery.event):
                    log.info("consumer.duplicate", queue=self.name)
        # One line per event per service is a cost at load: applied events are counted, and logged at DEBUG.
        log.debug("consumer.applied", queue=self.name, events=sum(d.applied for d in done))

    def _count(self, batch: list[Message], deliveries: list[_Delivery], cpu: float) -> None:
        """The batch's CPU by event type: each delivery's own, and an equal share of what they shared (the
        transaction's begin and commit, the inbox insert, the ack); unreadable messages only a share."""
        shared = max(0.0, cpu - sum(d.cpu for d in deliveries)) / len(batch)
        for delivery in deliveries:
            metrics.HANDLER_CPU.labels(self.name, delivery.event.get_type()).inc(delivery.cpu + shared)
        if len(batch) > len(deliveries):
            metrics.HANDLER_CPU.labels(self.name, "unreadable").inc(shared * (len(batch) - len(deliveries)))

    def _failed(self, message: Message, exc: Exception, attempts: int) -> None:
        attempts += 1
        reason = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        action = "park" if attempts >= self.max_attempts else "retry"
        log.warning("consumer.handler_failed", queue=self.name, attempts=attempts, action=action, error=reason)
        self._later.append((message, action, reason, attempts))

    def _flush_later(self) -> None:
        if any(action == "delay" for _, action, _, _ in self._later):
            threading.Event().wait(0.5)  # the database is down: do not spin through the queue
        while self._later:
            message, action, reason, attempts = self._later.popleft()
            headers = {**dict(message.headers or {}), "x-attempts": attempts}
            headers["x-transient-error" if action == "delay" else "x-error"] = reason
            # The first routing key is the event type; after a retry the message arrives by queue name.
            headers.setdefault("x-routing-key", message.delivery_info.get("routing_key", ""))
            message_id = message.properties.get("message_id") or str(uuid.uuid4())
            if action == "park":
                metrics.PARKED.labels(self.name).inc()
                headers["x-parked-at"] = datetime.now(UTC).isoformat()
                self.publisher.publish(body_bytes(message), exchange="", routing_key=self.queues.dlq,
                                       message_id=message_id, headers=headers)
            else:
                cause = "database_unavailable" if action == "delay" else "handler_failed"
                metrics.RETRIED.labels(self.name, cause).inc()
                if self.memory_retries is not None:
                    self.memory_retries.later(body_bytes(message), message_id, headers)
                else:
                    self.publisher.publish(body_bytes(message), exchange="", routing_key=self.queues.retry,
                                           message_id=message_id, headers=headers)
            message.ack()


@contextmanager
def _bound(event: CloudEvent) -> Iterator[None]:
    with structlog.contextvars.bound_contextvars(
        event_id=event.get_id(), event_type=event.get_type(), correlation_id=event.get_extension("correlationid"),
    ):
        yield


def _attempts(message: Message) -> int:
    try:
        return max(0, int((message.headers or {}).get("x-attempts", 0)))
    except (TypeError, ValueError):
        return 0

