"""What the notifications service does when an event arrives: one function per event type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import func, insert, text, update
from sqlalchemy.orm import Session

from chassis.db import per_transaction
from chassis.settings import Settings
from eventbus import catalog, envelope
from eventbus.consumer import Handler, HandlerTable, combine
from services.notifications import channels, dispatcher, partner_link, rules, templates
from services.notifications.channels import Channel, email
from services.notifications.models import FeedEntry, Notification, Recipient


def on_user_registered(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    changed_at = event.get_time() or datetime.now(UTC)
    recipient = session.get(Recipient, data["username"], with_for_update=True)
    if recipient is not None and recipient.updated_at >= changed_at:
        return  # older news than the copy we hold (a retried or reordered event)
    recipient = recipient or Recipient(username=data["username"])
    recipient.display_name = data.get("display_name", "")
    # Every address by channel name; the others come in `contacts`, the mail address is the event's `email`
    # (the account's, authoritative: last, so a `contacts.email` cannot replace it).
    given = {**(data.get("contacts") or {}), email.CHANNEL.name: data["email"]}
    recipient.contacts = {name: str(value) for name, value in given.items() if value}
    recipient.locale = data["locale"]
    recipient.school = data.get("school")
    recipient.roles = data["roles"]
    recipient.updated_at = changed_at
    session.add(recipient)


def notify(public_base_url: str, active: Sequence[Channel], timezone: str = templates.OFFICE_ZONE,
           partner_link_keys: Path | None = None) -> Handler:
    """One row per (event, recipient, channel that reaches them); each channel's worker delivers its own. The
    rows keep the event's data, so the inbox can tell it again in whatever language its reader reads then.
    A partner's answer link is minted into the text only (partner_link.py), never into the kept data."""

    def handle(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        told = data
        if event.get_type() == partner_link.EVENT and partner_link_keys is not None:
            told = partner_link.with_link(data, public_base_url, partner_link_keys)

        def text_for(person: Recipient) -> tuple[str, templates.Rendered]:
            # The recipient's locale from the event where it speaks of them (the applicant's), else ours.
            locale = data.get("locale") if person.username == data.get("applicant") and data.get("locale") else (
                person.locale)
            return locale, templates.render(event.get_type(), locale, told, public_base_url, timezone)

        people = rules.recipients(session, event.get_type(), data)
        channels.write(session, event.get_id(), event.get_type(), rules.pairs(people, active), text_for,
                       facts=data)

    return handle


# Notices that ask someone to act on a review task, and the news that ends that: the task decided (its own
# notices), or the application's review over or the application withdrawn (its tasks are then cancelled).
ASKS_TO_ACT = ("review.task_created", "review.task_overdue", "review.task_escalated")
TASK_ENDED = "review.decision_recorded"
APPLICATION_ENDED = ("review.completed", "application.withdrawn")


def mark_done(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """Everyone's notices about the ended task (or the ended application's tasks) are done, and so read: nobody
    is left with a call to act on something already decided. Repeated news changes nothing."""
    at = event.get_time() or datetime.now(UTC)
    which = (Notification.task_id == data["task_id"] if event.get_type() == TASK_ENDED
             else Notification.application_id == data["application_id"])
    session.execute(update(Notification)
                    .where(which, Notification.event_type.in_(ASKS_TO_ACT), Notification.done_at.is_(None))
                    .values(done_at=at, read_at=func.coalesce(Notification.read_at, at)))


FEED_LOCK = "notifications.feed_locked"


def record(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """Into the event feed, and a webhook delivery per matching subscription (the inbox makes both once)."""
    body = envelope.to_json(event).decode()
    if session.get_bind().dialect.name == "postgresql":
        # One feed writer at a time, so ids are handed out in commit order: a reader's cursor can never
        # pass an id whose transaction commits later. Held until the commit: taken once per transaction.
        per_transaction(session, FEED_LOCK, lambda: session.execute(text("SELECT pg_advisory_xact_lock(727001)")))
    session.execute(_FEED_INSERT, {"event_id": event.get_id(), "event_type": event.get_type(),
                                   "subject": event.get_subject() or "", "time": event.get_time() or datetime.now(UTC),
                                   "event": body})
    dispatcher.enqueue(session, event.get_id(), event.get_type(), body)


_FEED_INSERT = insert(FeedEntry.__table__)  # built once: only the values are bound for each event


def handlers_for(settings: Settings) -> HandlerTable:
    """Every public event (the catalog says which) goes to the feed; those the rules name are also notified,
    on every channel the settings switch on; a private one (user.registered: personal data) only updates our
    copy of the directory."""
    handle = notify(settings.public_base_url, channels.active(settings), settings.timezone,
                    settings.partner_link_keys_file)
    return combine(
        {"user.registered": on_user_registered},
        {t: record for t in catalog.public_types()},
        {t: handle for t in rules.RULES},
        {t: mark_done for t in (TASK_ENDED, *APPLICATION_ENDED)},
    )
