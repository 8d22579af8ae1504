"""The reviews worker: its outbox relay and its consumer of `reviews.events`."""

from __future__ import annotations

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, Sweep, bus_components
from eventbus.consumer import HandlerTable
from services.reviews import deadlines
from services.reviews.handlers import table


def handlers(settings: Settings) -> HandlerTable:
    return table(settings.timezone)


def components(settings: Settings, engine: Engine) -> list[Component]:
    return [
        *bus_components("reviews", settings, engine, handlers(settings)),
        Sweep("reviews", engine, settings.deadline_check_seconds, lambda session, now: dict(zip(
            ("overdue", "escalated"), deadlines.check(session, now, settings.escalate_after_days, settings.timezone),
            strict=True))),
    ]
