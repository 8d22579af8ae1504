"""Waking the relay right after a commit that wrote to the outbox, instead of polling on a fixed delay.

PostgreSQL: the outbox row is written through a one-row SELECT from pg_notify() (`notifying`), so the
NOTIFY rides on the INSERT, in the business transaction and without a round trip of its own; PostgreSQL
delivers it only on commit (once per transaction, however many rows), to every listening relay in any
process. SQLite (embedded, one process): an after-commit hook
sets a threading.Event per database. Either way the relay also sweeps slowly, so a lost wake-up only
delays an event, never loses it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import structlog
from sqlalchemy import Column, Engine, Insert, bindparam, event, func, select
from sqlalchemy.orm import Session

CHANNEL = "mobility_outbox"
_DIRTY = "eventbus.outbox_dirty"
_local_events: dict[str, threading.Event] = defaultdict(threading.Event)
_lock = threading.Lock()
log = structlog.get_logger(__name__)


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _local(engine: Engine) -> threading.Event:
    with _lock:
        return _local_events[_key(engine)]


def notifying(insert: Insert, columns: list[Column[Any]]) -> Insert:
    """PostgreSQL: `insert` of one row, its values bound by the columns' names, written as
    INSERT … SELECT :values FROM pg_notify(…): the row and the relay's wake-up in one statement."""
    values = select(*[bindparam(c.name, type_=c.type) for c in columns])
    return insert.from_select([c.name for c in columns], values.select_from(func.pg_notify(CHANNEL, "").table_valued()))


def mark_written(session: Session) -> None:
    """Called by outbox.add: wake the relay when this transaction commits (SQLite: the after-commit hook;
    PostgreSQL: the INSERT carried the NOTIFY already)."""
    session.info[_DIRTY] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        bind = session.get_bind()
        if bind.dialect.name != "postgresql":  # PostgreSQL delivered the NOTIFY with the commit
            _local(bind).set()  # type: ignore[arg-type]


def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)


def install() -> None:
    """Listen for commits that wrote to the outbox; called where the bus components are built (the relay), so
    importing eventbus changes nothing. Idempotent. Only SQLite needs it: PostgreSQL's NOTIFY crosses
    processes by itself, and an embedded process builds its relays before it serves."""
    with _lock:
        if not event.contains(Session, "after_commit", _after_commit):
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_rollback", _after_rollback)


class Waiter:
    """What a relay blocks on between drains: returns early when a commit wrote to the outbox."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = _local(engine)
        self._pg = None

    def listen(self) -> None:
        """Start listening now, before the first drain, so no NOTIFY falls between drain and wait."""
        if self._engine.dialect.name == "postgresql" and self._pg is None:
            try:
                self._connect()
            except Exception as exc:  # the database is down: wait() retries
                log.warning("outbox.listen_failed", error=str(exc))
                self.close()

    def _connect(self) -> None:
        self._pg = self._engine.raw_connection()
        self._pg.driver_connection.autocommit = True
        self._pg.driver_connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        if self._engine.dialect.name != "postgresql":
            woke = self._local.wait(timeout)
            self._local.clear()
            return woke
        return self._wait_pg(timeout)

    def _wait_pg(self, timeout: float) -> bool:
        try:
            if self._pg is None:
                self._connect()
            woke = False
            for _ in self._pg.driver_connection.notifies(timeout=timeout, stop_after=1):
                woke = True
            if woke:  # swallow a burst of notifications: one drain handles them all
                for _ in self._pg.driver_connection.notifies(timeout=0.001):
                    pass
            return woke
        except Exception as exc:  # database gone: fall back to the sweep, reconnect next time
            log.warning("outbox.listen_failed", error=str(exc))
            self.close()
            threading.Event().wait(min(timeout, 1.0))
            return False

    def close(self) -> None:
        if self._pg is not None:
            try:
                self._pg.invalidate()
            except Exception:
                pass
            self._pg = None
