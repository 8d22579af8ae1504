"""`mobility programs announce`: every program sent again as program.saved, through applications' outbox.

For a system upgraded from before the event existed: the services that keep a copy of the programs (placements)
get the ones made earlier. Safe to repeat: the revision does not move, so a copy holding it skips the news.
"""

from __future__ import annotations

import click

from chassis.db import make_engine, make_sessionmaker
from chassis.settings import Settings
from services.applications import program_events


@click.group("programs")
def programs() -> None:
    """The exchange programs that applications keeps."""


@programs.command("announce")
@click.pass_obj
def programs_announce(settings: Settings) -> None:
    """Write program.saved for every program to applications' outbox (its relay publishes them)."""
    engine = make_engine(settings.database_url("applications"))
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            count = program_events.announce_all(session)
    finally:
        engine.dispose()
    click.echo(f"programs: {count} announced")
