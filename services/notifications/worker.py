"""The notifications worker: its consumer of `notifications.events`, its relay, and the email sender."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, bus_components
from eventbus.consumer import HandlerTable
from services.notifications.dispatcher import HOOKS_DUE, Dispatcher
from services.notifications.handlers import MAIL_DUE, handlers_for
from services.notifications.sender import Sender


def handlers(settings: Settings) -> HandlerTable:
    return handlers_for(settings.public_base_url)


def components(settings: Settings, engine: Engine) -> list[Component]:
    # Set after a commit that wrote mail or webhook deliveries, so they leave at once; the sender and the
    # dispatcher are not woken (a transaction each) by the events that gave them nothing to do.
    mail_due = threading.Event()
    hooks_due = threading.Event()

    def committed(written: dict[str, Any]) -> None:
        if written.get(MAIL_DUE):
            mail_due.set()
        if written.get(HOOKS_DUE):
            hooks_due.set()

    return [
        *bus_components("notifications", settings, engine, handlers(settings), committed),
        Sender(settings, engine, mail_due),
        Dispatcher(settings, engine, hooks_due),
    ]
