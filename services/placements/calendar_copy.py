"""Placements' copy of the official working-day calendar (event-carried state): calendar.changed from
reviews replaces a year's copy, and official() reads it as a chassis.workdays.Calendar (the copied years
over the chinesecalendar package), for deadlines counted in working days (the 差额公示 of a candidate list)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chassis.workdays import Calendar
from services.placements.models import CalendarDay, CalendarYear


def official(session: Session) -> Calendar:
    """The calendar placements counts working days with: the copied years over chinesecalendar."""
    entered: dict[int, dict[date, bool]] = {year: {} for year in session.scalars(select(CalendarYear.year))}
    for day in session.scalars(select(CalendarDay)):
        entered.setdefault(day.day.year, {})[day.day] = day.workday
    return Calendar(entered=entered)


def on_calendar_changed(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """Replace the year's copy, unless the copy is already newer (news may arrive out of order)."""
    year = int(data["year"])
    version = event.get_extension("aggregateversion")
    copy = session.get(CalendarYear, year, with_for_update=True)
    if copy is not None and version is not None and int(version) <= copy.version:
        return
    if copy is None:
        copy = CalendarYear(year=year)
        session.add(copy)
    copy.demo, copy.version, copy.updated_at = bool(data["demo"]), int(version or 0), datetime.now(UTC)
    session.execute(delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                              CalendarDay.day <= date(year, 12, 31)))
    session.flush()
    session.add_all(CalendarDay(day=date.fromisoformat(d["date"]), workday=bool(d["workday"]),
                                name=d.get("name") or "")
                    for d in data["days"] if date.fromisoformat(d["date"]).year == year)


HANDLERS = {"calendar.changed": on_calendar_changed}
