"""The delivery loop shared by the channels that send outside Mobility (email over SMTP, WeCom over HTTPS):
claims one channel's pending rows, hands each to that channel's transport, records the outcome, retries.

At-least-once toward the outside: a crash between the far end's "OK" and our commit sends the message
again (email keeps the same Message-ID so mail clients can fold the copies). Rows go in batches of up to
BATCH over one connection, claimed and marked in one transaction (one transaction per mail cost more than
the mail, in the benchmark): a crash or a failed commit sends at most that batch again. A row that cannot
be built or is refused is marked failed inside the batch; it does not stop the others.
- The far end unreachable (Unavailable from `open`), or shutting us all out (Unavailable from `send`, e.g.
  WeCom refusing this server's IP): nothing is counted against the rows; the loop backs off and tries
  again. From `send`, the rows already sent in the batch keep their marks and the rest wait.
- LATER (e.g. an SMTP 4xx): retried with exponential backoff, up to MAX_ATTEMPTS (about a day).
- BROKEN (the connection failed half way, an HTTP 5xx): like LATER, and the rest of the batch waits for
  the next round on a fresh connection.
- FAILED (a refusal, a message that cannot be built): marked failed at once, never retried.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

import structlog
from sqlalchemy import Engine, Select, bindparam, or_, select
from sqlalchemy.orm import sessionmaker

from services.notifications.models import Notification

log = structlog.get_logger(__name__)
BATCH = 20
MAX_ATTEMPTS = 32  # 2 s, 4 s … then an hour between tries: roughly a day in all
SENT, LATER, BROKEN, FAILED = "sent", "later", "broken", "failed"


@dataclass(frozen=True)
class Outcome:
    kind: str  # SENT | LATER | BROKEN | FAILED
    error: str = ""


class Unavailable(Exception):
    """The far end cannot be reached or will not let us in: the rows wait, no attempt counted (raised by a
    transport's `open`, or its `send` when the answer says no message can go until an operator acts)."""


class Transport(Protocol):
    """A channel's way out: open a connection, send one row over it, close it."""

    channel: str
    outage: str  # the log event when the far end cannot be reached (operators alert on it)

    def open(self) -> Any: ...

    def send(self, connection: Any, n: Notification) -> Outcome: ...

    def close(self, connection: Any) -> None: ...


class Sender:
    def __init__(self, transport: Transport, engine: Engine, wake: threading.Event) -> None:
        self.transport = transport
        self.engine = engine
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.wake = wake

    def run(self, stop: threading.Event) -> None:
        backoff = 2.0
        while not stop.is_set():
            try:
                self.send_due()
                backoff = 2.0
            except Unavailable as exc:
                log.warning(self.transport.outage, channel=self.transport.channel, error=str(exc), retry_in=backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            except Exception as exc:  # database down: try again on the next wake or sweep
                log.warning("sender.error", channel=self.transport.channel, error=repr(exc))
            self.wake.wait(2.0)
            self.wake.clear()

    @cached_property
    def _due(self) -> Select[tuple[Notification]]:
        """This channel's mails due at :now, oldest first, at most :limit; built once (the values bound per round)."""
        query = (
            select(Notification)
            .where(
                Notification.channel == self.transport.channel,
                Notification.status == "pending",
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= bindparam("now")),
            )
            .order_by(Notification.created_at)
            .limit(bindparam("limit"))
        )
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # several senders can run side by side
        return query

    def send_due(self, limit: int = 100) -> int:
        sent = done = 0
        connection: Any = None
        outage: Unavailable | None = None
        try:
            while done < limit and outage is None:
                with self.sessions() as session, session.begin():
                    due = {"now": datetime.now(UTC), "limit": min(BATCH, limit - done)}
                    batch = list(session.scalars(self._due, due))
                    for n in batch:
                        if connection is None:
                            connection = self.transport.open()  # Unavailable: the batch rolls back untouched
                        try:
                            outcome = self._send_one(connection, n)
                        except Unavailable as exc:  # commit the marks of the rows that went out; the rest wait
                            outage = exc
                            break
                        done += 1
                        if outcome == SENT:
                            sent += 1
                        elif outcome == BROKEN:  # keep what went out; the rest wait for next round
                            self.transport.close(connection)
                            connection = None
                            break
                if len(batch) < BATCH or connection is None:
                    break
        finally:
            if connection is not None:
                self.transport.close(connection)
        if outage is not None:
            raise outage  # the loop logs the transport's outage event and backs off
        return sent

    def _send_one(self, connection: Any, n: Notification) -> str:
        now = datetime.now(UTC)
        try:
            outcome = self.transport.send(connection, n)
        except Unavailable:
            raise  # not this row's fault: it stays as it was
        except Exception as exc:  # anything unforeseen must not undo the marks of the batch's other rows
            log.exception("sender.unexpected_error", channel=self.transport.channel, notification=n.id)
            outcome = Outcome(BROKEN, repr(exc))  # the dialogue may be half way: start a fresh one
        if outcome.kind == SENT:
            n.status, n.sent_at, n.attempts = "sent", datetime.now(UTC), n.attempts + 1
            return SENT
        if outcome.kind == FAILED:
            return self._failed(n, outcome.error)
        self._later(n, outcome.error, now)
        return outcome.kind

    def _later(self, n: Notification, error: str, now: datetime) -> None:
        n.attempts += 1
        n.last_error = error
        if n.attempts >= MAX_ATTEMPTS:
            self._failed(n, f"gave up after {n.attempts} attempts: {error}")
            return
        n.next_attempt_at = now + timedelta(seconds=min(2**n.attempts, 3600))
        log.warning("sender.retry_later", channel=n.channel, notification=n.id, error=error, attempts=n.attempts)

    def _failed(self, n: Notification, error: str) -> str:
        n.status, n.last_error = "failed", error
        log.error("sender.failed", channel=n.channel, notification=n.id, error=error)
        return FAILED
