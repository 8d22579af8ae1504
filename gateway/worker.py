"""The gateway worker: the relay that publishes identity events (user.registered) from its outbox."""

from __future__ import annotations

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, bus_components


def components(settings: Settings, engine: Engine) -> list[Component]:
    return bus_components("gateway", settings, engine, {})
