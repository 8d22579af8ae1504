"""Applications' copy of the official working-day calendar (event-carried state), for deadlines counted in working
days (lead times, publicity): binds the service's CalendarYear/CalendarDay to chassis.calendar_copy, which owns the
reading (official) and the replacing of a year from reviews' calendar.changed."""

from __future__ import annotations

from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.orm import Session

from chassis import calendar_copy
from chassis.workdays import Calendar
from services.applications.models import CalendarDay, CalendarYear


def official(session: Session) -> Calendar:
    """The calendar applications counts working days with: the copied years over chinesecalendar."""
    return calendar_copy.official(session, CalendarYear, CalendarDay)


def on_calendar_changed(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """Replace the year's copy, unless the copy is already newer (news may arrive out of order)."""
    calendar_copy.on_calendar_changed(session, data, event, CalendarYear, CalendarDay)


HANDLERS = {"calendar.changed": on_calendar_changed}
