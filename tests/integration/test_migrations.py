"""Each owner's migrations build exactly the tables its models describe, on PostgreSQL and SQLite; the data
migrations carry existing rows over (applications 0004: revision and content version; notifications 0004:
recipients' contacts) and, where they go down, back."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from chassis import migrate
from chassis.db import UTCDateTime, make_engine, make_sessionmaker
from chassis.owners import OWNERS
from eventbus import envelope
from eventbus.consumer import apply
from eventbus.tables import metadata as bus_metadata
from eventbus.tables import outbox
from services.applications.handlers import HANDLERS
from services.applications.models import Application


@pytest.fixture(params=["postgres", "sqlite"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "postgres":
        return request.getfixturevalue("pg_urls")  # type: ignore[no-any-return]
    return {owner: f"sqlite:///{tmp_path / owner}.db" for owner in OWNERS}


@pytest.mark.parametrize("owner", list(OWNERS))
# An index made for PostgreSQL only (ddl_if) on an expression: Alembic cannot reflect one from SQLite, says so, and
# leaves it out of the comparison there, which is right, as SQLite never gets it.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index:UserWarning")
def test_migrations_match_the_models_and_go_down_cleanly(owner: str, urls: dict[str, str]) -> None:
    url = urls[owner]
    migrate.upgrade(owner, url)
    engine = make_engine(url)
    metadata = [importlib.import_module(f"{OWNERS[owner].package}.models").Base.metadata, bus_metadata]
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    assert {"outbox", "inbox"} <= set(inspect(engine).get_table_names())
    command.downgrade(migrate.config(owner, url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


@pytest.fixture
def at_0003(urls: dict[str, str]) -> Iterator[Any]:
    """An owner's database migrated to 0003, as a release before the content version and contacts left it."""
    engines: list[Engine] = []

    def migrated(owner: str) -> Engine:
        command.upgrade(migrate.config(owner, urls[owner]), "0003")
        engines.append(make_engine(urls[owner]))
        return engines[-1]

    yield migrated
    for engine in engines:
        engine.dispose()


# -- applications 0004: a revision beside the version, which now means content ----------------------------

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TRIP = {"destination_institution": "MIT", "destination_country": "US", "purpose": "conference",
        "start_date": "2031-03-01", "end_date": "2031-03-10", "funding_source": "NSFC", "budget": "12000.00"}
APPLICATIONS_0003 = sa.table(
    "applications", *(sa.column(name) for name in (
        "id", "kind", "applicant", "applicant_name", "applicant_email", "school", "locale", "title", "status",
        "version", "program_id")),
    sa.column("form", sa.JSON()), sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()),
    sa.column("submitted_at", UTCDateTime()),
)
# id → (status, version as 0003's code left it): an edit moved the version, and so did the saga's `in_review`
# step, one past the version the review task was opened for (submitted at 2, in review at 3).
BEFORE = {
    "00000000-0000-4000-8000-000000000001": ("draft", 1),
    "00000000-0000-4000-8000-000000000002": ("submitted", 2),
    "00000000-0000-4000-8000-000000000003": ("in_review", 3),
    "00000000-0000-4000-8000-000000000004": ("approved", 4),
}
IN_REVIEW = "00000000-0000-4000-8000-000000000003"


def _completed(application_id: str, version: int) -> Any:
    return envelope.new_event("review.completed", "/services/reviews", application_id, {
        "application_id": application_id, "application_version": version, "outcome": "approved", "level": 3,
        "comment": None, "decided_by": "icd.officer", "decided_at": NOW.isoformat()})


def test_applications_0004_keeps_each_rows_version_and_an_open_review_still_applies(
        urls: dict[str, str], at_0003: Any) -> None:
    engine = at_0003("applications")
    with engine.begin() as connection:
        connection.execute(APPLICATIONS_0003.insert(), [
            {"id": id_, "kind": "faculty_exchange", "applicant": "teacher.cs", "applicant_name": "Teacher",
             "applicant_email": "teacher.cs@uni.example", "school": "cs", "locale": "en",
             "title": "Conference at MIT", "status": status, "version": version, "program_id": None,
             "form": TRIP, "created_at": NOW, "updated_at": NOW,
             "submitted_at": None if status == "draft" else NOW}
            for id_, (status, version) in BEFORE.items()])
    migrate.upgrade("applications", urls["applications"])

    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, status, revision, version FROM applications")).all()
    # Every row keeps its number as its revision; only the one in review goes back to its task's version.
    assert {row.id: (row.status, row.revision, row.version) for row in rows} == {
        "00000000-0000-4000-8000-000000000001": ("draft", 1, 1),
        "00000000-0000-4000-8000-000000000002": ("submitted", 2, 2),
        IN_REVIEW: ("in_review", 3, 2),
        "00000000-0000-4000-8000-000000000004": ("approved", 4, 4),
    }

    # The open task was opened for version 2, and its decision names 2: the saga applies it once, as news
    # about the bumped number (3) is now stale.
    sessions = make_sessionmaker(engine)
    for version in (3, 2):
        with sessions.begin() as session:
            apply(HANDLERS, session, _completed(IN_REVIEW, version))
    with sessions() as session:
        application = session.get(Application, IN_REVIEW)
        assert application is not None
        assert (application.status, application.version, application.revision) == ("approved", 2, 4)
    with engine.connect() as connection:
        announced = [envelope.from_json(body) for body in connection.execute(sa.select(outbox.c.body)).scalars()]
    assert [(e.get_type(), e.get_data()["version"], e.get_extension("aggregateversion")) for e in announced] == [
        ("application.approved", 2, 4)]


# -- notifications 0004: a recipient's addresses become a map of contacts by channel ----------------------

RECIPIENTS_0003 = sa.table(
    "recipients", *(sa.column(name) for name in ("username", "display_name", "email", "locale", "school")),
    sa.column("roles", sa.JSON()), sa.column("updated_at", UTCDateTime()),
)
EMAILS = {"alice": "alice@uni.example", "bob": ""}  # bob registered without an address


def _recipients(engine: Engine, *columns: str) -> dict[str, tuple[Any, ...]]:
    table = sa.table("recipients", sa.column("username"), *(sa.column(c, sa.JSON() if c == "contacts" else None)
                                                           for c in columns))
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table.c.username, *(table.c[c] for c in columns))).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_notifications_0004_moves_email_into_contacts_and_back(urls: dict[str, str], at_0003: Any) -> None:
    engine = at_0003("notifications")
    with engine.begin() as connection:
        connection.execute(RECIPIENTS_0003.insert(), [
            {"username": name, "display_name": name.title(), "email": email, "locale": "en", "school": "cs",
             "roles": ["student"], "updated_at": NOW} for name, email in EMAILS.items()])

    migrate.upgrade("notifications", urls["notifications"])
    assert "email" not in {c["name"] for c in inspect(engine).get_columns("recipients")}
    assert _recipients(engine, "contacts") == {"alice": ({"email": "alice@uni.example"},), "bob": ({},)}

    command.downgrade(migrate.config("notifications", urls["notifications"]), "0003")
    assert "contacts" not in {c["name"] for c in inspect(engine).get_columns("recipients")}
    assert _recipients(engine, "email") == {name: (email,) for name, email in EMAILS.items()}
