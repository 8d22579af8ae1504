"""The arithmetic of a publicity period (公示) on the official working-day calendar, shared by every service
that publishes something for N working days with objections (reviews' publicity level, placements' 差额公示 of a
candidate list). Pure: no database, no clock of its own; the caller passes the calendar and the day.

The rules, in the office's days:
- a period of n working days opened on day D ends on the n-th working day after D (D itself not counted);
- it runs through its last day and has passed once that day is over;
- an objection lodged on day P pauses it with the working days after P up to its end still to run;
- a resumption on day R counts those days again from the working day after R (a same-day resumption changes
  nothing);
- a year the calendar does not know is never guessed: Calendar raises UnknownYear, which the caller turns into a
  "blocked" period with the reason (the message tells the reader what to do).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chassis.workdays import Calendar, UnknownYear

__all__ = ["UnknownYear", "end_of", "ends_on", "has_passed", "remaining", "resumed_end", "runs_on", "today"]


def today(now: datetime, zone: str) -> date:
    """The office's day at this instant."""
    return now.astimezone(ZoneInfo(zone)).date()


def end_of(day: date, zone: str) -> datetime:
    """The instant a day ends in the office's zone (the next day's midnight there), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def ends_on(calendar: Calendar, opened_on: date, working_days: int) -> date:
    """The last day of a period of `working_days` opened on `opened_on`. Raises UnknownYear."""
    return calendar.add_working_days(opened_on, working_days)


def remaining(calendar: Calendar, paused_on: date, last_day: date) -> int:
    """The working days still to run when the period pauses on `paused_on`: those after it up to the last day."""
    return calendar.working_days_between(paused_on, last_day)


def resumed_end(calendar: Calendar, resumed_on: date, days_left: int) -> date:
    """The new last day of a period resumed on `resumed_on` with `days_left` working days to run. Raises
    UnknownYear."""
    return calendar.add_working_days(resumed_on, days_left)


def runs_on(last_day: date | None, day: date) -> bool:
    """Whether a dated period is still running on `day` (objections are taken through its last day)."""
    return last_day is not None and day <= last_day


def has_passed(last_day: date | None, day: date) -> bool:
    """Whether a dated period's last day is over on `day`."""
    return last_day is not None and day > last_day
