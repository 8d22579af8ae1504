"""What one transaction sees and changes while others commit, on both databases. one_snapshot: a read of a record
and its parts sees one moment, never half of a write that commits between two of its queries (a record's new dates
missing while its extension already shows approved). A change that loads its row locked loses no other writer's
update, SQLite included (it has no row locks: the locking read takes the write lock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, event, select, update

from chassis.db import make_engine, make_sessionmaker, one_snapshot
from tests.support.mobilities import Mobilities, approval
from tests.support.service import start_service

parts = Table("parts", MetaData(), Column("id", Integer, primary_key=True), Column("value", String, nullable=False))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path}/snapshot.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    made = make_engine(url)
    with made.begin() as connection:
        parts.create(connection)
        connection.execute(parts.insert(), [{"id": 1, "value": "before"}, {"id": 2, "value": "before"}])
    yield made
    made.dispose()


def _read(session, part: int) -> str:  # type: ignore[no-untyped-def]
    return str(session.execute(select(parts.c.value).where(parts.c.id == part)).scalar_one())


def test_reads_after_one_snapshot_miss_a_write_that_commits_between_them(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        one_snapshot(session)
        assert _read(session, 1) == "before"
        with engine.begin() as writer:  # another connection changes both parts in one transaction
            writer.execute(update(parts).values(value="after"))
        assert _read(session, 2) == "before"  # the same moment as the first read, not half of the write
    with make_sessionmaker(engine)() as later:
        one_snapshot(later)
        assert (_read(later, 1), _read(later, 2)) == ("after", "after")


def test_a_snapshot_session_can_still_write(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session, session.begin():
        one_snapshot(session)
        assert _read(session, 1) == "before"
        session.execute(update(parts).where(parts.c.id == 1).values(value="mine"))
    with engine.connect() as connection:
        assert _read(connection, 1) == "mine"


@pytest.fixture(params=["sqlite", "postgresql"])
def mob(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Mobilities]:
    url = f"sqlite:///{tmp_path}/mobilities.db" if request.param == "sqlite" else \
        request.getfixturevalue("pg_urls")["mobilities"]
    service = start_service("mobilities", tmp_path, url)
    yield Mobilities(service)
    service.engine.dispose()


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
@pytest.mark.parametrize("read", ["one", "list"])
def test_a_trip_is_never_shown_with_half_of_its_extensions_approval(mob: Mobilities, read: str) -> None:
    """The approval of an extension moves the record's end and approves the extension in one transaction; it
    commits here between the read of the record and the read of its extension (the CI failure this fixes)."""
    (record,) = mob.approve(travellers=[{"name": "Li Wei", "staff_number": None, "role": "leader"}],
                            start="2027-04-01", end="2027-04-10")
    asked = mob.post("prof.li", record["id"], "/dates", {"end_date": "2027-04-15", "reason": "Workshop extended"})
    assert asked.status_code == 200 and asked.json["extension"]["status"] == "pending"
    changed = approval(application_id=record["application_id"], start="2027-04-01", end="2027-04-15",
                       travellers=[{"name": "Li Wei", "staff_number": None, "role": "leader"}])
    changed["version"], changed["decided_by"] = 2, "icd.officer"
    changed["change"] = {"id": "c1", "number": 1, "reason": "Workshop extended",
                         "extension_id": asked.json["extension"]["id"]}
    engine = mob.client.application.extensions["mobility"].engine
    approved: list[bool] = []

    def between_the_reads(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "FROM extensions" in statement and not approved:
            approved.append(True)
            mob.deliver("application.changed", changed, revision=9)  # its own connection, committed

    def shown() -> dict[str, Any]:
        path = f"/{record['id']}" if read == "one" else f"?application_id={record['application_id']}"
        body = mob.call("prof.li", "GET", path).json
        return body if read == "one" else body["items"][0]  # type: ignore[no-any-return]

    event.listen(engine, "before_cursor_execute", between_the_reads)
    try:
        during = shown()
    finally:
        event.remove(engine, "before_cursor_execute", between_the_reads)
    assert approved, "the approval did not commit during the read"
    assert (during["planned_end"], during["extension"]["status"]) == ("2027-04-10", "pending")  # before, whole
    after = shown()
    assert (after["planned_end"], after["extension"]["status"]) == ("2027-04-15", "approved")


def _two_writers_adding_one(engine: Engine, nested: tuple[bool, bool], rounds: int = 5) -> str:
    """Two writers each read the counter with FOR UPDATE, wait, and write it plus one, `rounds` times each (a writer
    marked nested does it inside a savepoint); the counter as they leave it."""
    sessions = make_sessionmaker(engine)

    def add_one_each_time(nested: bool) -> None:
        for _ in range(rounds):
            with sessions() as session, session.begin(), session.begin_nested() if nested else nullcontext():
                value = session.execute(select(parts.c.value).where(parts.c.id == 1).with_for_update()).scalar_one()
                time.sleep(0.01)  # the other writer has every chance to read the same value meanwhile
                count = 0 if value == "before" else int(value)
                session.execute(update(parts).where(parts.c.id == 1).values(value=str(count + 1)))

    writers = [threading.Thread(target=add_one_each_time, args=(flag,)) for flag in nested]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    with engine.connect() as connection:
        return _read(connection, 1)


def test_changes_that_load_their_row_locked_lose_no_update(engine: Engine) -> None:
    """None of the ten is lost: on SQLite the locking read takes the write lock, as PostgreSQL's row lock."""
    assert _two_writers_adding_one(engine, (False, False)) == "10"


def test_a_transaction_that_begins_nested_loses_no_update_either(engine: Engine) -> None:
    """A sweep's round begins with a savepoint (session.begin_nested), which SQLite's driver sends without a BEGIN:
    its locking read must still make the other writer wait."""
    assert _two_writers_adding_one(engine, (True, False)) == "10"
