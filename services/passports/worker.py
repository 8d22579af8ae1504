"""The passports worker: its consumer of `passports.events` (the mobilities' trips, the applications'
submissions), its outbox relay, and the deadline sweep (reminders, overdue notices, holds)."""

from __future__ import annotations

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, Sweep, bus_components
from eventbus.consumer import HandlerTable
from services.passports import deadlines
from services.passports import handlers as passport_handlers


def handlers(settings: Settings) -> HandlerTable:
    return passport_handlers.table(settings.timezone)


def components(settings: Settings, engine: Engine) -> list[Component]:
    return [
        *bus_components("passports", settings, engine, handlers(settings)),
        Sweep("passports", engine, settings.deadline_check_seconds,
              lambda session, now: deadlines.check(session, now, settings.timezone)),
    ]
