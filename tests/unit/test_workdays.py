"""China's official working days: the package's years, the entered years over them, and a year nobody knows."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.workdays import Calendar, UnknownYear, package_days, package_knows

OFFICIAL = Calendar()


def test_the_2025_national_day_holiday_and_its_make_up_days() -> None:
    assert OFFICIAL.is_workday(date(2025, 9, 28)) and OFFICIAL.is_workday(date(2025, 10, 11))  # Sun, Sat: 调休
    assert not any(OFFICIAL.is_workday(date(2025, 10, day)) for day in range(1, 9))
    assert OFFICIAL.is_workday(date(2025, 10, 9)) and not OFFICIAL.is_workday(date(2025, 9, 27))


def test_five_working_days_after_friday_26_september_2025_end_on_10_october() -> None:
    assert OFFICIAL.add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)
    assert OFFICIAL.working_days_between(date(2025, 9, 26), date(2025, 10, 10)) == 5


def test_zero_working_days_is_the_start_and_an_empty_span_counts_none() -> None:
    assert OFFICIAL.add_working_days(date(2025, 10, 4), 0) == date(2025, 10, 4)
    assert OFFICIAL.working_days_between(date(2025, 10, 10), date(2025, 10, 10)) == 0
    assert OFFICIAL.working_days_between(date(2025, 10, 10), date(2025, 10, 1)) == 0
    assert OFFICIAL.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    with pytest.raises(ValueError):
        OFFICIAL.add_working_days(date(2025, 10, 4), -1)


def test_an_entered_year_overrides_the_package() -> None:
    calendar = Calendar(entered={2025: {date(2025, 10, 1): True, date(2025, 9, 26): False}})
    assert calendar.is_workday(date(2025, 10, 1)) and not calendar.is_workday(date(2025, 9, 26))
    assert not calendar.is_workday(date(2025, 9, 28))  # not entered: a plain Sunday in an entered year
    assert calendar.is_workday(date(2025, 10, 2))  # not entered: a plain Thursday
    assert calendar.is_workday(date(2024, 10, 7)) is False  # other years still come from the package


def test_a_year_nobody_knows_raises_with_the_admin_message() -> None:
    assert not OFFICIAL.knows(2031) and not package_knows(2031)
    with pytest.raises(UnknownYear) as raised:
        OFFICIAL.is_workday(date(2031, 3, 3))
    assert raised.value.year == 2031
    assert str(raised.value) == ("No official calendar for 2031: ask an administrator to enter that year's "
                                 "holidays and make-up working days (admin → Calendar).")
    with pytest.raises(UnknownYear):
        OFFICIAL.add_working_days(date(2030, 12, 30), 5)  # 2030 is unknown too: never weekends-only
    with pytest.raises(UnknownYear):
        package_days(2031)


def test_an_entered_year_is_known_even_when_the_package_is_not() -> None:
    calendar = Calendar(entered={2031: {date(2031, 1, 1): False}})
    assert calendar.knows(2031)
    assert calendar.add_working_days(date(2031, 1, 1), 2) == date(2031, 1, 3)


def test_the_package_days_of_2025_are_those_that_differ_from_monday_to_friday() -> None:
    days = package_days(2025)
    assert days[date(2025, 10, 1)] == (False, "National Day") and days[date(2025, 9, 28)][0] is True
    assert date(2025, 9, 27) not in days and date(2025, 10, 9) not in days
