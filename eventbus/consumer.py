"""The consumer: applies events from a service's queue exactly once in effect.

For each message, in this order:
- undecodable body, unknown type or schema-invalid data → parked in `<queue>.dlq` at once, with the reason;
- the inbox row (consumer, event id) and the handler's effects commit in ONE transaction, then ack;
  a duplicate finds its inbox row and is acked with no effect;
- the handler raised → republished to `<queue>.retry` (TTL, then back to the queue) with `x-attempts`,
  and parked after `max_attempts`; the original is acked only after that publish is confirmed;
- the database is unreachable → the message takes the retry path without counting an attempt.
Publishing while inside a delivery callback could re-enter kombu, so retries and parkings are queued and
done right after `drain_events` returns.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from cloudevents.core.v1.event import CloudEvent
from kombu import Consumer as KombuConsumer
from kombu import Message
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from eventbus import catalog, envelope, inbox, metrics, topology
from eventbus.broker import Publisher, body_bytes, connect, open_connection

Handler = Callable[[Session, dict[str, Any], CloudEvent], None]
"""What a service does with one event: `(session, data, event)`, inside the transaction that records the inbox
row; `data` is the event's validated data, `event` the whole CloudEvent for its id, time and extensions."""
HandlerTable = Mapping[str, Handler | Sequence[Handler]]
log = structlog.get_logger(__name__)


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
    for handler in handlers:
        handler(session, data, event)  # type: ignore[arg-type]  # the catalog's schemas are objects


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
        prefetch_count: int = 20,
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
        self.heartbeat = heartbeat
        self.after_commit = after_commit
        self.memory = broker_url.startswith("memory://")
        self._later: deque[tuple[Message, str, str, int]] = deque()
        self._event_type = "unreadable"  # of the message being handled, for the cost counter
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
                    on_message=self._on_message,
                    on_decode_error=self._undecodable,
                    prefetch_count=self.prefetch_count,
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
                        self._flush_later()
            except Exception as exc:
                log.warning("consumer.backoff", queue=self.name, error=repr(exc), seconds=backoff)
                self._later.clear()  # unacked: redelivered by the broker (or restored, in memory)
                stop.wait(backoff)
                backoff = min(backoff * 2, 15.0)
            finally:
                if connection is not None:
                    try:
                        connection.release()
                    except Exception:
                        pass
        log.info("consumer.stopped", queue=self.name)

    # -- one message ------------------------------------------------------------------------------
    def _undecodable(self, message: Message, exc: Exception) -> None:
        # kombu could not even build the message (e.g. a bad compression header): park it as it is.
        log.error("consumer.poison", queue=self.name, error=f"undecodable message: {exc!r}")
        self._later.append((message, "park", f"undecodable message: {exc!r}", 0))

    def _on_message(self, message: Message) -> None:
        started = time.thread_time()  # this thread's CPU only: the handling's cost, not the waits for the database
        self._event_type = "unreadable"
        try:
            self._handle(message)
        finally:
            metrics.HANDLER_CPU.labels(self.name, self._event_type).inc(time.thread_time() - started)

    def _handle(self, message: Message) -> None:
        attempts = _attempts(message)
        try:
            event = envelope.from_json(body_bytes(message))
            self._event_type = event.get_type()
            handlers = self.handlers.get(event.get_type())
            if not handlers:
                raise catalog.SchemaError(f"{self.name} has no handler for {event.get_type()!r}")
            catalog.validate(event.get_type(), event.get_data())
        except (envelope.EnvelopeError, catalog.SchemaError) as exc:
            log.error("consumer.poison", queue=self.name, error=str(exc))
            self._later.append((message, "park", str(exc), attempts))
            return

        bound = structlog.contextvars.bound_contextvars(
            event_id=event.get_id(), event_type=event.get_type(),
            correlation_id=event.get_extension("correlationid"),
        )
        with bound:
            try:
                with self.sessions() as session, session.begin():
                    written = session.info  # what the handler noted for after the commit
                    applied = inbox.record(session, self.name, event)
                    if applied:
                        _run(handlers, session, event)
            except (OperationalError, DBAPIError) as exc:
                if isinstance(exc, OperationalError) or exc.connection_invalidated:
                    # Not the message's fault: come back after the retry delay, attempt not counted
                    # (a requeue would count toward the queue's delivery limit).
                    log.warning("consumer.database_unavailable", queue=self.name, error=str(exc))
                    self._later.append((message, "delay", str(exc)[:500], attempts))
                    return
                self._failed(message, exc, attempts)
                return
            except Exception as exc:
                self._failed(message, exc, attempts)
                return
            message.ack()
            metrics.CONSUMED.labels(self.name, event.get_type(), "applied" if applied else "duplicate").inc()
            if applied:  # one line per event per service is a cost at load: DEBUG (the counters count them)
                log.debug("consumer.applied", queue=self.name)
            else:  # rare, and what an operator looks for after a redelivery
                log.info("consumer.duplicate", queue=self.name)
        if applied and self.after_commit is not None:
            self.after_commit(written)

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
                if self.memory:
                    # The in-process transport has no TTL or dead-lettering: a timer plays the retry queue.
                    timer = threading.Timer(
                        self.retry_delay_ms / 1000, _requeue_in_memory,
                        args=(self.broker_url, self.queues.main, body_bytes(message), message_id, headers),
                    )
                    timer.daemon = True
                    timer.start()
                else:
                    self.publisher.publish(body_bytes(message), exchange="", routing_key=self.queues.retry,
                                           message_id=message_id, headers=headers)
            message.ack()


def _attempts(message: Message) -> int:
    try:
        return max(0, int((message.headers or {}).get("x-attempts", 0)))
    except (TypeError, ValueError):
        return 0


def _requeue_in_memory(broker_url: str, queue: str, body: bytes, message_id: str, headers: dict[str, Any]) -> None:
    with connect(broker_url) as connection:
        Publisher(connection).publish(body, exchange="", routing_key=queue, message_id=message_id, headers=headers)
