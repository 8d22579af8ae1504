"""Deadlines after the stay: a reminder before each due date, an overdue notice after it (each once per item and
due date), holds on whoever is overdue, and records closed when their report's publication ends.

Items: an owed report or summary (from the record's return), an expert's residence permit (30 days from entry).
`check(session, now)` takes the clock as an argument (tests move it); the worker runs it periodically.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mobilities import domain, holds, reports
from services.mobilities.events import announce
from services.mobilities.kinds import JOURNEYS, REMIND_DAYS_BEFORE, journey
from services.mobilities.models import Mobility, Reminder, Report

log = structlog.get_logger(__name__)
OWED = ("draft", "returned")  # with the traveller; a report handed in waits for its reviewers, not overdue


def _locked(session: Session, query):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(of=Mobility, skip_locked=True)  # two workers never notify twice
    return query


def _once(session: Session, record: Mobility, what: str, notice: str, due_on: date, now: datetime) -> bool:
    if session.get(Reminder, (record.id, what, notice, due_on)) is not None:
        return False
    session.add(Reminder(mobility_id=record.id, what=what, notice=notice, due_on=due_on, sent_at=now))
    return True


def _item(session: Session, record: Mobility, what: str, due_on: date, today: date, now: datetime) -> dict[str, int]:
    done = {"due_soon": 0, "overdue": 0, "holds": 0}
    if today > due_on:
        if _once(session, record, what, "overdue", due_on, now):
            announce(session, "mobility.overdue", record, None,
                     due={"what": what, "due_on": due_on.isoformat(), "days_overdue": (today - due_on).days})
            done["overdue"] = 1
        done["holds"] = holds.place(session, record, what, due_on, now)
    elif today >= due_on - timedelta(days=REMIND_DAYS_BEFORE) and _once(session, record, what, "due_soon", due_on, now):
        announce(session, "mobility.due_soon", record, None, due={"what": what, "due_on": due_on.isoformat()})
        done["due_soon"] = 1
    return done


def check(session: Session, now: datetime, zone: str = "Asia/Shanghai") -> dict[str, int]:
    """One sweep; returns what it did: reminders, overdue notices, holds placed, records closed."""
    today = now.astimezone(ZoneInfo(zone)).date()
    totals = {"due_soon": 0, "overdue": 0, "holds": 0, "closed": 0}
    holds.release_switched_off(session, now)

    def add(done: dict[str, int]) -> None:
        for key, value in done.items():
            totals[key] += value

    owed = _locked(session, select(Mobility, Report).join(Report, Report.mobility_id == Mobility.id).where(
        Mobility.status == "returned", Report.status.in_(OWED)))
    for record, report in session.execute(owed).all():
        add(_item(session, record, journey(record.kind).owes or "report", reports.due(report), today, now))
    permits = [kind for kind, j in JOURNEYS.items() if j.permit_due_days is not None]
    for record in session.scalars(_locked(session, select(Mobility).where(
            Mobility.kind.in_(permits), Mobility.status == "departed"))).all():
        due = domain.permit_due(record)
        if due is not None:
            add(_item(session, record, "residence_permit", due, today, now))
    ended = _locked(session, select(Mobility).join(Report, Report.mobility_id == Mobility.id).where(
        Mobility.status == "reported", Report.published_until < today))
    for record in session.scalars(ended).all():
        domain.close(record, today)
        record.updated_at = now
        announce(session, "mobility.closed", record, None)
        totals["closed"] += 1
    return totals

