"""The statistics read model on PostgreSQL and on SQLite (the embedded default): news that arrives late, twice, out
of order or from two workers at once leaves the row as the newest news says; the backfill fills it from the
applications' own tables."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from chassis import migrate
from chassis.db import make_engine
from eventbus import envelope
from eventbus.consumer import apply
from services.applications import domain, reporting
from services.applications.models import MobilityFact, ReviewStep

FACTS = {"direction": "outbound", "people": 1, "partner_id": None, "partner_name": "MIT", "country": "US",
         "region": "americas", "start_date": "2031-03-01", "end_date": "2031-03-14", "duration_days": 14,
         "duration_band": "two_weeks_or_less", "academic_year": 2030}
SUBMITTED = datetime(2030, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """PostgreSQL as in production, SQLite as the embedded default runs (the upserts are each dialect's own)."""
    url = (request.getfixturevalue("pg_urls")["applications"] if request.param == "postgresql"
           else f"sqlite:///{tmp_path / 'applications.db'}")
    migrate.upgrade("applications", url)
    return make_engine(url)


def _news(event_type: str, application_id: str, version: int, status: str, revision: int | None = None,
          **extra: Any) -> Any:
    data = {"application_id": application_id, "kind": "faculty_exchange", "school": "cs", "status": status,
            "version": version, "mobility": FACTS, "applicant": "prof.li", "applicant_name": "Li",
            "applicant_email": "li@example.edu", "locale": "zh", "program_id": None, "title": "A trip",
            **({"decided_by": "icd.officer"} if status in ("approved", "rejected", "changes_requested") else {}),
            **({"previous_status": "submitted"} if status == "withdrawn" else {}), **extra}
    return envelope.new_event(event_type, "/services/applications", application_id, data,
                              aggregateversion=version if revision is None else revision)


def _deliver(engine: Engine, *events: Any) -> None:
    for event in events:
        with Session(engine) as session, session.begin():
            apply(reporting.HANDLERS, session, event)


def _row(engine: Engine, application_id: str) -> MobilityFact:
    with Session(engine) as session:
        row = session.get(MobilityFact, application_id)
        assert row is not None
        return row


def test_late_and_repeated_news_does_not_undo_newer_news(engine: Engine) -> None:
    app = str(uuid.uuid4())
    submitted = _news("application.submitted", app, 2, "submitted", submitted_at=SUBMITTED.isoformat())
    approved = _news("application.approved", app, 4, "approved", submitted_at=SUBMITTED.isoformat(),
                     decided_at="2030-11-20T09:00:00+00:00")
    _deliver(engine, approved, submitted, submitted, approved)
    row = _row(engine, app)
    assert (row.status, row.version, row.submitted_at, row.region) == ("approved", 4, SUBMITTED, "americas")
    assert row.decided_at == datetime(2030, 11, 20, 9, tzinfo=UTC)


def test_news_is_ordered_by_revision_so_a_status_change_of_the_same_content_version_applies(engine: Engine) -> None:
    app = str(uuid.uuid4())
    submitted = _news("application.submitted", app, 1, "submitted", revision=2, submitted_at=SUBMITTED.isoformat())
    approved = _news("application.approved", app, 1, "approved", revision=4, decided_at="2030-11-20T09:00:00+00:00")
    _deliver(engine, submitted, approved, submitted)
    row = _row(engine, app)
    assert (row.status, row.version) == ("approved", 4)


def test_a_withdrawal_that_overtakes_its_submission_still_counts_as_submitted(engine: Engine) -> None:
    app = str(uuid.uuid4())
    _deliver(engine, _news("application.withdrawn", app, 3, "withdrawn", submitted_at=SUBMITTED.isoformat(),
                           withdrawn_at="2030-11-02T08:00:00+00:00"),
             _news("application.submitted", app, 2, "submitted", submitted_at=SUBMITTED.isoformat()))
    row = _row(engine, app)
    assert (row.status, row.version, row.submitted_at) == ("withdrawn", 3, SUBMITTED)


def test_the_submission_time_is_taken_from_stale_news_and_kept_when_newer_news_does_not_say_it(
        engine: Engine) -> None:
    app = str(uuid.uuid4())
    _deliver(engine, _news("application.approved", app, 4, "approved", decided_at="2030-11-20T09:00:00+00:00"))
    assert _row(engine, app).submitted_at is None
    _deliver(engine, _news("application.submitted", app, 2, "submitted", submitted_at=SUBMITTED.isoformat()))
    row = _row(engine, app)
    assert (row.status, row.version, row.submitted_at) == ("approved", 4, SUBMITTED)
    _deliver(engine, _news("application.cancelled", app, 4, "cancelled", revision=5, reason="The trip is off.",
                           cancelled_at="2030-12-01T09:00:00+00:00", cancelled_by="icd.officer"))
    row = _row(engine, app)
    assert (row.status, row.version, row.submitted_at) == ("cancelled", 5, SUBMITTED)
    assert row.decided_at == datetime(2030, 11, 20, 9, tzinfo=UTC)  # a cancelled trip was decided all the same


def _offer(status: str, application_id: str, partner: dict[str, Any], minutes: int) -> Any:
    data = {"offer_id": str(uuid.uuid5(uuid.NAMESPACE_URL, application_id)), "round_id": str(uuid.uuid4()),
            "run_id": str(uuid.uuid4()), "program_id": str(uuid.uuid4()), "program_name": "Exchange 2031",
            "application_id": application_id, "applicant": "alice", "applicant_name": "Alice Wang", "school": "cs",
            **partner, "status": status, "deadline": "2031-04-20T00:00:00+00:00",
            "made_at": "2031-04-01T08:00:00+00:00"}
    event = envelope.new_event(f"offer.{status}", "/services/placements", data["offer_id"], data,
                               aggregateversion=2)
    return CloudEvent({**event.get_attributes(), "time": SUBMITTED + timedelta(minutes=minutes)}, data)


def test_news_in_one_batch_applies_in_order_through_objects_and_statements_alike(engine: Engine) -> None:
    """A batch shares one transaction: the withdrawn offer (changed through the row's object) is written before
    the newer application news (one statement), which then counts the application's new first choice."""
    app = str(uuid.uuid4())
    mit = {"partner_id": str(uuid.uuid4()), "partner_name": "MIT", "country": "US", "region": "americas"}
    tokyo = {"partner_id": str(uuid.uuid4()), "partner_name": "University of Tokyo", "country": "JP",
             "region": "other"}
    nus = {"partner_id": str(uuid.uuid4()), "partner_name": "NUS"}
    _deliver(engine, _news("application.approved", app, 4, "approved", decided_at="2030-11-20T09:00:00+00:00",
                           mobility={**FACTS, **mit}), _offer("accepted", app, nus, 1))
    assert _row(engine, app).partner_name == "NUS"
    with Session(engine) as session, session.begin():
        apply(reporting.HANDLERS, session, _offer("withdrawn", app, nus, 2))
        apply(reporting.HANDLERS, session, _news("application.approved", app, 4, "approved", revision=6,
                                                  decided_at="2030-11-20T09:00:00+00:00",
                                                  mobility={**FACTS, **tokyo}))
    row = _row(engine, app)
    assert (row.allocated_partner_id, row.partner_name, row.country, row.version) == (
        None, "University of Tokyo", "JP", 6)


def test_a_decision_may_arrive_before_its_task(engine: Engine) -> None:
    task, app = str(uuid.uuid4()), str(uuid.uuid4())
    common = {"task_id": task, "application_id": app, "application_version": 1, "kind": "faculty_exchange",
              "round": 1, "level": 2, "role": "school_dean", "school": "cs", "applicant": "prof.li", "title": "A trip",
              "due_at": "2030-11-08T10:00:00+00:00"}
    decided = envelope.new_event("review.decision_recorded", "/services/reviews", app,
                                 {**common, "reviewer": "dean.cs", "outcome": "return", "comment": "Sign it.",
                                  "decided_at": "2030-11-03T10:00:00+00:00"})
    created = envelope.new_event("review.task_created", "/services/reviews", app, common)
    _deliver(engine, decided, created)
    with Session(engine) as session:
        step = session.get(ReviewStep, task)
        assert step is not None and step.outcome == "return" and step.level == 2
        assert step.created_at == created.get_time() and step.decided_at == datetime(2030, 11, 3, 10, tzinfo=UTC)


def test_two_workers_taking_the_first_news_of_one_application_at_once(engine: Engine) -> None:
    """Both insert the row (ON CONFLICT DO UPDATE), the second waiting for the first one's lock: no duplicate-key
    error, and the row as the newest news says."""
    for _ in range(5):
        app = str(uuid.uuid4())
        news = [_news("application.submitted", app, 2, "submitted", submitted_at=SUBMITTED.isoformat()),
                _news("application.approved", app, 4, "approved", decided_at="2030-11-20T09:00:00+00:00")]
        start, errors = threading.Barrier(2), []

        def work(event: Any, start: threading.Barrier = start, errors: list[Exception] = errors) -> None:
            start.wait()
            try:
                _deliver(engine, event)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(event,)) for event in news]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        row = _row(engine, app)
        assert (row.status, row.submitted_at) == ("approved", SUBMITTED)


def test_the_backfill_fills_the_model_from_the_applications_tables_and_can_be_repeated(engine: Engine) -> None:
    now = datetime(2030, 10, 1, tzinfo=UTC)
    form = {"destination_institution": "MIT", "destination_country": "US", "purpose": "conference",
            "start_date": "2031-03-01", "end_date": "2031-03-14", "funding_source": "CSC", "budget": "1.00"}
    with Session(engine) as session, session.begin():
        approved, history = domain.new_draft(kind="faculty_exchange", applicant="prof.li", applicant_name="Li",
                                             applicant_email="li@x", school="cs", locale="zh", program=None,
                                             form=form, now=now)
        session.add_all([approved, history])
        for status in ("submitted", "in_review", "approved"):
            now += timedelta(days=1)
            session.add(domain.transition(approved, status, actor="x", now=now))
        draft, history = domain.new_draft(kind="faculty_exchange", applicant="prof.li", applicant_name="Li",
                                          applicant_email="li@x", school="cs", locale="zh", program=None, form=form,
                                          now=now)
        session.add_all([draft, history])
        approved_id = approved.id
    with Session(engine) as session, session.begin():
        assert reporting.backfill(session) == 1  # the draft was never submitted
    with Session(engine) as session, session.begin():
        assert reporting.backfill(session) == 1
    row = _row(engine, approved_id)
    assert (row.status, row.version, row.region, row.academic_year, row.decided_at) == (
        "approved", 4, "americas", 2030, now)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(MobilityFact)) == 1
