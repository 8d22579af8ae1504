"""The applications worker: its outbox relay and its consumer of `applications.events`, which serves two
readers: the saga (handlers.py, review news moves the status) and the statistics read model (reporting.py)."""

from __future__ import annotations

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chassis.settings import Settings
from chassis.worker import Component, bus_components
from eventbus.consumer import Handler
from services.applications import handlers as saga
from services.applications import reporting


def _both(first: Handler, second: Handler) -> Handler:
    def handle(session: Session, event: CloudEvent) -> None:  # one transaction, one inbox row: both or neither
        first(session, event)
        second(session, event)

    return handle


def handlers(settings: Settings) -> dict[str, Handler]:
    combined: dict[str, Handler] = dict(saga.HANDLERS)
    for event_type, handler in reporting.HANDLERS.items():
        combined[event_type] = _both(combined[event_type], handler) if event_type in combined else handler
    return combined


def components(settings: Settings, engine: Engine) -> list[Component]:
    return bus_components("applications", settings, engine, handlers(settings))
