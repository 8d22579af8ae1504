"""The mobilities worker: its consumer of `mobilities.events` (the applications' approvals, changes and
cancellations), its outbox relay, and the deadline sweep (reminders, overdue notices, holds, closing)."""

from __future__ import annotations

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, Sweep, bus_components
from eventbus.consumer import HandlerTable
from services.mobilities import deadlines
from services.mobilities.handlers import HANDLERS


def handlers(settings: Settings) -> HandlerTable:
    return dict(HANDLERS)


def components(settings: Settings, engine: Engine) -> list[Component]:
    return [
        *bus_components("mobilities", settings, engine, handlers(settings)),
        Sweep("mobilities", engine, settings.deadline_check_seconds,
              lambda session, now: deadlines.check(session, now, settings.timezone)),
    ]
