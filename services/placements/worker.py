"""The placements worker: its consumer of `placements.events` (program.saved, the student exchanges approved,
withdrawn or cancelled), its outbox relay, and the deadline sweep (deadlines.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, Sweep, bus_components
from eventbus.consumer import HandlerTable
from services.placements import deadlines
from services.placements import handlers as placement_handlers


def handlers(settings: Settings) -> HandlerTable:
    return placement_handlers.table()


def components(settings: Settings, engine: Engine) -> list[Component]:
    return [
        *bus_components("placements", settings, engine, handlers(settings)),
        Sweep("placements", engine, settings.deadline_check_seconds,
              lambda session, now: deadlines.check(session, now, settings.timezone,
                                                                     settings.agreement_reminder_days)),
    ]
