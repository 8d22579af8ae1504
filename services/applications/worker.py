"""The applications worker: its outbox relay and its consumer of `applications.events`, which serves two
readers: the saga (handlers.py, review news moves the status) and the statistics read model (reporting.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, bus_components
from eventbus.consumer import HandlerTable, combine
from services.applications import handlers as saga
from services.applications import kinds, reporting


def handlers(settings: Settings) -> HandlerTable:
    return combine(saga.HANDLERS, reporting.HANDLERS)  # one event, one transaction: both readers or neither


def components(settings: Settings, engine: Engine) -> list[Component]:
    kinds.load(settings.kind_modules)  # the saga announces outcomes with each kind's facts
    return bus_components("applications", settings, engine, handlers(settings))
