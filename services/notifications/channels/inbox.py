"""The in-app inbox channel: writing the row is the delivery; everyone has an inbox, addressed by username."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from chassis.settings import Settings
from chassis.worker import Component
from services.notifications.models import Recipient


class Inbox:
    name = "inbox"
    initial_status = "delivered"
    due = None

    def enabled(self, settings: Settings) -> bool:
        return True

    def address(self, recipient: Recipient) -> str | None:
        return recipient.username

    def worker(self, settings: Settings, engine: Engine, wake: threading.Event) -> Component | None:
        return None  # read through the API: nothing to send


CHANNEL = Inbox()
