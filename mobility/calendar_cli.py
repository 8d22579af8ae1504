"""`mobility calendar seed|show YEAR`: the official working-day calendar reviews keeps, from the shell.

The same functions as the admin API (services/reviews/calendar.py), so a seed is announced by
`calendar.changed` (through reviews' outbox) whichever way it is made.
"""

from __future__ import annotations

import click

from chassis.db import make_engine, make_sessionmaker
from chassis.settings import Settings
from chassis.workdays import UnknownYear
from services.reviews import calendar as official_calendar

YEAR = click.IntRange(2000, 2100)


@click.group("calendar")
def calendar() -> None:
    """The official working-day calendar (holidays and 调休 make-up working days)."""


@calendar.command("seed")
@click.argument("year", type=YEAR)
@click.pass_obj
def calendar_seed(settings: Settings, year: int) -> None:
    """Copy YEAR from the chinesecalendar package into reviews' calendar (replaces an entered YEAR)."""
    engine = make_engine(settings.database_url("reviews"))
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            official_calendar.seed(session, year)
    except UnknownYear as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"calendar {year}: seeded from the official package")


@calendar.command("show")
@click.argument("year", type=YEAR)
@click.pass_obj
def calendar_show(settings: Settings, year: int) -> None:
    """YEAR's days that differ from Monday to Friday, and where they come from."""
    engine = make_engine(settings.database_url("reviews"))
    try:
        with make_sessionmaker(engine)() as session:
            source, demo, days = official_calendar.year_days(session, year)
    finally:
        engine.dispose()
    click.echo(f"calendar {year}: {source}" + (" (demo)" if demo else ""))
    for day in days:
        kind = "working day" if day["workday"] else "holiday"
        click.echo(f"{day['date'].isoformat()} {day['date']:%a} {kind:<11} {day['name']}".rstrip())
