"""Notification channels: the protocol each one implements, the registry of them, and the one function
that writes notification rows.

A channel is one module here (inbox.py, email.py, wecom.py) exposing CHANNEL. It says whether it is on
(settings), how a recipient is addressed on it (None: not reachable there, so no row), the status its rows
start in, the session.info key that a commit writing its rows sets (so its worker wakes at once), and the
worker component that delivers its rows (None when rows are final as written, like the inbox's).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from chassis.settings import Settings
from chassis.worker import Component
from services.notifications.models import Notification, Recipient
from services.notifications.templates import Rendered


class Channel(Protocol):
    name: str  # stored in notifications.channel (at most 10 characters)
    initial_status: str  # "delivered" when writing the row is the delivery; else "pending" for the worker
    due: str | None  # session.info key set by a commit that wrote rows for this channel; None: no worker

    def enabled(self, settings: Settings) -> bool: ...

    def address(self, recipient: Recipient) -> str | None: ...

    def worker(self, settings: Settings, engine: Engine, wake: threading.Event) -> Component | None: ...


def registry() -> tuple[Channel, ...]:
    """Every channel Mobility knows, in the order rows are written. A new channel: its module, one entry here."""
    from services.notifications.channels import email, inbox, wecom  # they import this module's neighbours

    return (inbox.CHANNEL, email.CHANNEL, wecom.CHANNEL)


def active(settings: Settings) -> tuple[Channel, ...]:
    """The channels switched on by the settings (WeCom needs its corp id; the others are always on)."""
    return tuple(channel for channel in registry() if channel.enabled(settings))


Pair = tuple[Recipient, Channel]
TextFor = Callable[[Recipient], tuple[str, Rendered]]  # a person → (their locale, the text in it)


def write(session: Session, event_id: str, event_type: str, pairs: Iterable[Pair], text_for: TextFor,
          now: datetime | None = None, facts: dict[str, Any] | None = None) -> int:
    """One row per (recipient, channel) the recipient is reachable on, each person's text rendered once, with
    the event's `facts` (the inbox renders from them in the reader's language); notes the channels' due keys in
    session.info so their workers wake after the commit."""
    now = now or datetime.now(UTC)
    facts = facts or {}
    texts: dict[str, tuple[str, Rendered]] = {}
    rows = []
    for person, channel in pairs:
        address = channel.address(person)
        if address is None:
            continue
        if person.username not in texts:
            texts[person.username] = text_for(person)
        locale, text = texts[person.username]
        rows.append({
            "id": str(uuid.uuid4()), "event_id": event_id, "event_type": event_type, "recipient": person.username,
            "channel": channel.name, "address": address, "locale": locale, "subject": text.subject[:300],
            "body": text.body, "link": text.link, "status": channel.initial_status, "attempts": 0,
            "created_at": now, "facts": facts or None, "task_id": facts.get("task_id"),
            "application_id": facts.get("application_id"),
        })
        if channel.due:
            session.info[channel.due] = True
    if rows:  # one INSERT for all of them, built once: neither the unit of work nor the ORM's bulk path
        session.execute(_INSERT, rows)
    return len(rows)


_INSERT = insert(Notification.__table__)
