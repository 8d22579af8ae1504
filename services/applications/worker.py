"""The applications worker: its outbox relay and its consumer of `applications.events`, which serves five
readers: the saga (handlers.py, review news moves the status), the statistics read model (reporting.py), the
approvals a 任务批件 lists (approvals.py), the holds mobilities places on submitting (holds.py) and the travellers'
extensions, carried out as change requests (extensions.py)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, bus_components
from eventbus.consumer import HandlerTable, combine
from services.applications import approvals, calendar_copy, extensions, holds, kinds, reporting
from services.applications import handlers as saga


def handlers(settings: Settings) -> HandlerTable:
    # the saga numbers approval documents with the office's prefix and time zone
    numbered = partial(saga.on_review_completed, numbering=approvals.Numbering.of(settings))
    # one event, one transaction: every reader or none
    return combine({**saga.HANDLERS, "review.completed": numbered}, reporting.HANDLERS, approvals.HANDLERS,
                   calendar_copy.HANDLERS, holds.HANDLERS, extensions.HANDLERS)


def components(settings: Settings, engine: Engine) -> list[Component]:
    kinds.load(settings.kind_modules)  # the saga announces outcomes with each kind's facts
    return bus_components("applications", settings, engine, handlers(settings))
