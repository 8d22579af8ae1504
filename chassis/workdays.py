"""China's official working days (法定节假日 and 调休 make-up days) for deadlines counted in working days.

Two sources, in order: the years an administrator entered (kept by reviews, copied by applications) and the
`chinesecalendar` package, which knows the years published when it was released. A year neither knows is
never guessed as "Monday to Friday": counting across it raises UnknownYear, whose message tells the reader
what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

UNKNOWN_YEAR = ("No official calendar for {year}: ask an administrator to enter that year's holidays and "
                "make-up working days (admin → Calendar).")


class UnknownYear(ValueError):
    """Neither the entered years nor the package know this year's holidays."""

    def __init__(self, year: int) -> None:
        super().__init__(UNKNOWN_YEAR.format(year=year))
        self.year = year


def package_knows(year: int) -> bool:
    """Whether the installed chinesecalendar has this year's official holidays."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def package_days(year: int) -> dict[date, tuple[bool, str]]:
    """The year's days that differ from Monday to Friday according to chinesecalendar: day -> (workday, name).
    Raises UnknownYear if the package does not know the year."""
    if not package_knows(year):
        raise UnknownYear(year)
    days: dict[date, tuple[bool, str]] = {}
    day = date(year, 1, 1)
    while day.year == year:
        on, holiday = chinese_calendar.get_holiday_detail(day)
        workday = not on
        if workday != (day.weekday() < 5):
            days[day] = (workday, _holiday_name(holiday))
        day += timedelta(days=1)
    return days


def _holiday_name(holiday: object) -> str:
    """chinesecalendar names a holiday in English ("National Day"); plain weekends have no name."""
    return str(getattr(holiday, "value", holiday) or "")


@dataclass(frozen=True)
class Calendar:
    """Working days: the entered years first (year -> {day: is_workday} for the days that differ from
    Monday to Friday), then chinesecalendar."""

    entered: Mapping[int, Mapping[date, bool]] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        return year in self.entered or package_knows(year)

    def is_workday(self, day: date) -> bool:
        if day.year in self.entered:
            return self.entered[day.year].get(day, day.weekday() < 5)
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise UnknownYear(day.year) from None

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start (start itself not counted); n=0 is start."""
        if n < 0:
            raise ValueError("n must not be negative")
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end is not after start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count
