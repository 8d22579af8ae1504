"""The connection pool: a connection the server ended is replaced at checkout, without a failed query;
a healthy one is reused without a round trip to check it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from chassis import db
from chassis.db import make_engine


def _pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pg_url: str, pid: int) -> None:
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


def test_a_connection_the_server_ended_is_replaced_at_checkout(pg_url: str) -> None:
    engine = make_engine(pg_url)
    first = _pid(engine)
    _terminate(pg_url, first)
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SELECT pg_sleep(0.2)")  # the server's goodbye reaches the pooled socket
    second = _pid(engine)  # no OperationalError: the pool noticed and connected afresh
    assert second != first
    engine.dispose()


def test_a_healthy_connection_is_reused_without_a_ping_unless_it_was_idle_long(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[str] = []
    execute = psycopg.Connection.execute

    def spy(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        pings.append(str(query))  # SQLAlchemy runs its statements through cursors; only a ping comes here
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", spy)
    engine = make_engine(pg_url)
    first = _pid(engine)
    assert _pid(engine) == first and pings == []  # used a moment ago: no round trip to check it
    monkeypatch.setattr(db, "PING_AFTER_IDLE", -1.0)  # every checkout now counts as after a long idle
    assert _pid(engine) == first and pings == ["SELECT 1"]  # pinged, alive, kept
    engine.dispose()
