"""The notifications worker: its consumer of `notifications.events`, its relay, and the email sender."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, bus_components
from eventbus.consumer import Handler
from services.notifications.dispatcher import Dispatcher
from services.notifications.handlers import handlers_for
from services.notifications.sender import Sender


def handlers(settings: Settings) -> dict[str, Handler]:
    return handlers_for(settings.public_base_url)


def components(settings: Settings, engine: Engine) -> list[Component]:
    mail_due = threading.Event()  # the consumer sets it after a commit, so mail leaves at once
    hooks_due = threading.Event()

    def committed() -> None:
        mail_due.set()
        hooks_due.set()

    return [
        *bus_components("notifications", settings, engine, handlers(settings), committed),
        Sender(settings, engine, mail_due),
        Dispatcher(settings, engine, hooks_due),
    ]
