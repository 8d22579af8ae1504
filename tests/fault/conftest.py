"""A fresh distributed stack per fault test (these tests kill and stop things), plus database handles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.support import wait
from tests.support.api import Gateway
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack
from tests.support.workload import libpq, scalar  # noqa: F401  (the fault tests' database handles)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/fault/" in str(item.fspath):
            item.add_marker(pytest.mark.fault)


@pytest.fixture
def stack(tmp_path: Path, amqp_url: str, pg_urls: dict[str, str], smtp: SmtpSink) -> Iterator[Stack]:
    with Stack(tmp_path, amqp_url, pg_urls, smtp.port).running() as stack:
        yield stack


@pytest.fixture
def gateway(stack: Stack) -> Gateway:
    return Gateway(stack.gateway_url)


@contextmanager
def table_locked(database_url: str, table: str, mode: str) -> Iterator[psycopg.Connection]:
    """Hold a table lock in a transaction of our own until the block ends (then roll back)."""
    with psycopg.connect(libpq(database_url)) as conn:
        conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
        try:
            yield conn
        finally:
            conn.rollback()


def wait_for_blocked(database_url: str, statement_prefix: str) -> None:
    """Until some backend of that database waits on a lock while running `statement_prefix...`."""
    name = database_url.rsplit("/", 1)[-1]

    def blocked() -> bool:
        with psycopg.connect(libpq(database_url), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
                "AND query ILIKE %s", (name, f"{statement_prefix}%"),
            ).fetchone()
        return bool(row and row[0])

    wait.until(blocked, timeout=30, what=f"a backend blocked in {statement_prefix!r}")
