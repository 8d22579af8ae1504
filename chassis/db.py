"""Database engine and session factory for one service's own database."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from eventbus.columns import UTCDateTime  # noqa: F401  (re-exported: every service's models use it)

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the API thread read while a worker thread writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        _lock_on_locking_reads(engine)
        return engine
    # Sessions in UTC, so timestamps come back as UTC whatever the server's TimeZone.
    engine = create_engine(url, pool_size=5, max_overflow=5, connect_args={"options": "-c timezone=UTC"})
    _check_on_checkout(engine)
    return engine


def _lock_on_locking_reads(engine: Engine) -> None:
    """SQLite has no row locks and drops FOR UPDATE, and its driver opens a transaction only at the first write,
    so a read-modify-write could read what another writer then overwrites (a lost update). A transaction that
    begins with a locking read (`with_for_update`, as every change loads its row) begins IMMEDIATE instead: it
    takes the database's write lock before it reads, and other writers wait (busy_timeout) until it commits."""

    def begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_execute")
    def _locking_read(connection, clauseelement, *_args):  # type: ignore[no-untyped-def]
        if getattr(clauseelement, "_for_update_arg", None) is not None:
            begin_immediate(connection)

    @event.listens_for(engine, "savepoint")
    def _savepoint(connection, _name):  # type: ignore[no-untyped-def]
        # the driver sends SAVEPOINT without a BEGIN, and a locking read after it would find a transaction begun
        # that holds no lock: a transaction that begins nested (a sweep's rounds) is one that writes
        begin_immediate(connection)


PING_AFTER_IDLE = 30.0  # seconds


def _check_on_checkout(engine: Engine) -> None:
    """A pooled connection that the server closed (restart, pg_terminate_backend, idle timeout) is replaced
    at checkout instead of failing a request. Cheaper than pool_pre_ping's SELECT 1 on every checkout (a
    round trip each time, a fifth of a worker's time in the benchmark's profile): a closed connection's
    socket is readable (the server's goodbye, then EOF), so a non-blocking poll finds it; only a connection
    idle for PING_AFTER_IDLE, where a silent network failure could hide, is pinged for real."""

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):  # type: ignore[no-untyped-def]
        if record is not None:
            record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, proxy):  # type: ignore[no-untyped-def]
        try:
            poller = select.poll()  # not select.select, which cannot take descriptors above 1023
            poller.register(dbapi_connection.fileno(), select.POLLIN)
            if poller.poll(0):  # an idle connection has nothing to read unless the server ended it
                raise exc.DisconnectionError("the database closed this connection")
            if time.monotonic() - record.info.get("checked_in", 0.0) > PING_AFTER_IDLE:
                dbapi_connection.execute("SELECT 1")
                dbapi_connection.rollback()
        except exc.DisconnectionError:
            raise
        except Exception as error:  # the ping failed: the pool connects afresh
            raise exc.DisconnectionError(str(error)) from error


def one_snapshot(session: Session) -> None:
    """Make the session's reads that follow see one moment: a record and its parts, never the half of a write that
    commits between two of its queries (PostgreSQL's READ COMMITTED reads each statement afresh). Call it before
    the session's first query, in a session that only reads. SQLite's driver runs a SELECT outside any
    transaction, so each sees the latest commit too: there the reads are put in one transaction, whose snapshot
    its first read takes (WAL mode)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection().exec_driver_sql("BEGIN")


def per_transaction(session: Session, key: str, compute: Callable[[], T]) -> T:
    """`compute()` once in the session's current transaction, its value kept for the rest of it: for what a
    transaction needs once however many events it applies (a consumer's batch applies up to
    MOBILITY_CONSUMER_BATCH_SIZE in one), such as a transaction-scoped lock or a small table read once."""
    session.connection()  # begins the transaction if none has begun yet, so the value is kept for this one
    transaction = session.get_transaction()
    kept = session.info.get(key)
    if kept is not None and kept[0] is transaction:
        return cast(T, kept[1])
    value = compute()
    session.info[key] = (transaction, value)
    return value


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)

