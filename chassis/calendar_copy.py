"""A service's copy of the official working-day calendar (event-carried state), shared by every service that
counts deadlines in working days (applications' lead times, placements' 差额公示): the two tables' columns as
declarative mixins, official() that reads the copy as a chassis.workdays.Calendar (the copied years over the
chinesecalendar package), and on_calendar_changed() that replaces a year's copy from reviews' calendar.changed.

The chassis owns no tables: each service declares CalendarYear/CalendarDay on its own Base with these mixins
(its own database, its own migration) and binds them in its thin calendar_copy module.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import Boolean, Date, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from chassis.db import UTCDateTime
from chassis.workdays import Calendar


class CalendarYearColumns:
    """The columns of a copied year: replaced whole by each calendar.changed (version: that event's
    aggregateversion, so older news is ignored)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarDayColumns:
    """The columns of one day of a copied year that differs from Monday to Friday (a weekday holiday or a 调休
    make-up day)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column("date", Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")


def official(session: Session, year_model: type[CalendarYearColumns], day_model: type[CalendarDayColumns]) -> Calendar:
    """The calendar the service counts working days with: its copied years over chinesecalendar."""
    entered: dict[int, dict[date, bool]] = {year: {} for year in session.scalars(select(year_model.year))}
    for day in session.scalars(select(day_model)):
        entered.setdefault(day.day.year, {})[day.day] = day.workday
    return Calendar(entered=entered)


def on_calendar_changed(session: Session, data: dict[str, Any], event: CloudEvent,
                        year_model: type[CalendarYearColumns], day_model: type[CalendarDayColumns]) -> None:
    """Replace the year's copy, unless the copy is already newer (news may arrive out of order)."""
    year = int(data["year"])
    version = event.get_extension("aggregateversion")
    # Locked, so two deliveries of the same year cannot interleave their delete and insert.
    copy = session.get(year_model, year, with_for_update=True)
    if copy is not None and version is not None and int(version) <= copy.version:
        return
    if copy is None:
        copy = year_model(year=year)
        session.add(copy)
    copy.demo, copy.version, copy.updated_at = bool(data["demo"]), int(version or 0), datetime.now(UTC)
    session.execute(delete(day_model).where(day_model.day >= date(year, 1, 1), day_model.day <= date(year, 12, 31)))
    session.flush()
    session.add_all(day_model(day=date.fromisoformat(d["date"]), workday=bool(d["workday"]), name=d.get("name") or "")
                    for d in data["days"] if date.fromisoformat(d["date"]).year == year)
