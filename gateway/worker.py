"""The gateway worker: the relay that publishes identity events (user.registered) from its outbox."""

from __future__ import annotations

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, bus_components
from eventbus.consumer import HandlerTable


def handlers(settings: Settings) -> HandlerTable:
    return {}  # the gateway consumes nothing (yet)


def components(settings: Settings, engine: Engine) -> list[Component]:
    return bus_components("gateway", settings, engine, handlers(settings))
