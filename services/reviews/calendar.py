"""The official working-day calendar's entered years, kept by reviews (admin → Calendar): read as a
chassis.workdays.Calendar, replaced a year at a time, seeded from chinesecalendar. Every change writes
`calendar.changed` in the same transaction, so applications keeps its own copy (event-carried state)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chassis.workdays import Calendar, package_days, package_knows
from eventbus import envelope, outbox
from services.reviews.models import CalendarDay, CalendarYear

SOURCE = "/services/reviews"
ENTERED, PACKAGE, UNKNOWN = "entered", "official package", "unknown"


def official(session: Session) -> Calendar:
    """The calendar reviews counts working days with: its entered years over chinesecalendar."""
    entered: dict[int, dict[date, bool]] = {year: {} for year in session.scalars(select(CalendarYear.year))}
    for day in session.scalars(select(CalendarDay)):
        entered.setdefault(day.day.year, {})[day.day] = day.workday
    return Calendar(entered=entered)


def _differs(day: date, workday: bool) -> bool:
    return workday != (day.weekday() < 5)


def year_days(session: Session, year: int) -> tuple[str, bool, list[dict[str, Any]]]:
    """(source, demo, days) of a year: its days that differ from Monday to Friday, from the entered table or
    else from the package; an unknown year has none."""
    entered = session.get(CalendarYear, year)
    if entered is not None:
        rows = session.scalars(select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                                         CalendarDay.day <= date(year, 12, 31))
                               .order_by(CalendarDay.day))
        return ENTERED, entered.demo, [{"date": r.day, "workday": r.workday, "name": r.name} for r in rows]
    if package_knows(year):
        return PACKAGE, False, [{"date": d, "workday": w, "name": n} for d, (w, n) in package_days(year).items()]
    return UNKNOWN, False, []


def problems(year: int, days: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Field errors of a year's days (empty when fine): every date in the year, none twice. Nested as marshmallow
    nests a list's item errors: {"days": {"0": {"date": [...]}}}."""
    items: dict[str, dict[str, list[str]]] = {}
    seen: set[date] = set()
    for index, day in enumerate(days):
        if day["date"].year != year:
            items[str(index)] = {"date": [f"Not in {year}."]}
        elif day["date"] in seen:
            items[str(index)] = {"date": ["This date is already in the list."]}
        seen.add(day["date"])
    return {"days": items} if items else {}


def set_year(session: Session, year: int, days: Iterable[Mapping[str, Any]], demo: bool,
             correlationid: str | None = None) -> CalendarYear:
    """Replace the year's entered days (only those that differ from Monday to Friday are kept) and announce
    it. The caller has checked problems() and owns the transaction."""
    kept = sorted(((d["date"], bool(d["workday"]), d.get("name") or "") for d in days
                   if _differs(d["date"], bool(d["workday"]))), key=lambda row: row[0])
    now = datetime.now(UTC)
    entry = session.get(CalendarYear, year, with_for_update=True)
    if entry is None:
        entry = CalendarYear(year=year, demo=demo, version=1, updated_at=now)
        session.add(entry)
    else:
        entry.demo, entry.version, entry.updated_at = demo, entry.version + 1, now
    session.execute(delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                              CalendarDay.day <= date(year, 12, 31)))
    session.add_all(CalendarDay(day=d, workday=w, name=n) for d, w, n in kept)
    session.flush()
    data = {"year": year, "demo": demo,
            "days": [{"date": d.isoformat(), "workday": w, "name": n} for d, w, n in kept]}
    outbox.add(session, envelope.new_event("calendar.changed", SOURCE, str(year), data,
                                           correlationid=correlationid, aggregateversion=entry.version))
    return entry


def seed(session: Session, year: int, correlationid: str | None = None) -> CalendarYear:
    """Copy a year chinesecalendar knows into the table (official, not demo). Raises UnknownYear."""
    days = [{"date": d, "workday": w, "name": n} for d, (w, n) in package_days(year).items()]
    return set_year(session, year, days, demo=False, correlationid=correlationid)
