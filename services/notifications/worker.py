"""The notifications worker: its consumer of `notifications.events`, its relay, the webhook dispatcher, and
each channel's delivery component (channels/: email's SMTP sender, WeCom's; the inbox needs none)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component, bus_components
from eventbus.consumer import HandlerTable
from services.notifications import channels
from services.notifications.dispatcher import HOOKS_DUE, Dispatcher
from services.notifications.handlers import handlers_for


def handlers(settings: Settings) -> HandlerTable:
    return handlers_for(settings)


def components(settings: Settings, engine: Engine) -> list[Component]:
    # Each wake is set after a commit that wrote rows for its component (the key in session.info), so they
    # leave at once; a component is not woken (a transaction each) by events that gave it nothing to do.
    wakes = {HOOKS_DUE: threading.Event()}
    delivering: list[Component] = []
    for channel in channels.active(settings):
        wake = threading.Event()
        component = channel.worker(settings, engine, wake)
        if component is not None and channel.due:
            wakes[channel.due] = wake
            delivering.append(component)

    def committed(written: dict[str, Any]) -> None:
        for key, wake in wakes.items():
            if written.get(key):
                wake.set()

    return [
        *bus_components("notifications", settings, engine, handlers(settings), committed),
        *delivering,
        Dispatcher(settings, engine, wakes[HOOKS_DUE]),
    ]
