"""one_snapshot: a read of a record and its parts sees one moment on both databases, never half of a write that
commits between two of its queries (a record's new dates missing while its extension already shows approved)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from chassis.db import make_engine, make_sessionmaker, one_snapshot


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    url = f"sqlite:///{tmp_path}/snapshot.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    made = make_engine(url)
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE parts (id INTEGER PRIMARY KEY, value TEXT NOT NULL)"))
        connection.execute(text("INSERT INTO parts VALUES (1, 'before'), (2, 'before')"))
    yield made
    made.dispose()


def _read(session, part: int) -> str:  # type: ignore[no-untyped-def]
    return str(session.execute(text("SELECT value FROM parts WHERE id = :id"), {"id": part}).scalar_one())


def test_reads_after_one_snapshot_miss_a_write_that_commits_between_them(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        one_snapshot(session)
        assert _read(session, 1) == "before"
        with engine.begin() as writer:  # another connection changes both parts in one transaction
            writer.execute(text("UPDATE parts SET value = 'after'"))
        assert _read(session, 2) == "before"  # the same moment as the first read, not half of the write
    with make_sessionmaker(engine)() as later:
        one_snapshot(later)
        assert (_read(later, 1), _read(later, 2)) == ("after", "after")


def test_a_snapshot_session_can_still_write(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session, session.begin():
        one_snapshot(session)
        assert _read(session, 1) == "before"
        session.execute(text("UPDATE parts SET value = 'mine' WHERE id = 1"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM parts WHERE id = 1")).scalar_one() == "mine"
