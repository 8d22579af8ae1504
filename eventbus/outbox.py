"""The outbox: events written in the caller's business transaction, published later by the relay."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import Insert, func, select
from sqlalchemy.orm import Session

from eventbus import catalog, envelope, wakeup
from eventbus.tables import outbox


def add(session: Session, event: CloudEvent) -> None:
    """Write `event` inside the caller's transaction. Its data must match the catalog schema."""
    catalog.validate(event.get_type(), event.get_data())
    row = {"event_id": event.get_id(), "type": event.get_type(), "subject": event.get_subject() or "",
           "body": envelope.to_json(event).decode("utf-8"), "created_at": datetime.now(UTC)}
    session.execute(_inserting(session.get_bind().dialect.name), row)
    wakeup.mark_written(session)


@functools.cache
def _inserting(dialect: str) -> Insert:
    """Built once per dialect, only the values bound for each event; on PostgreSQL the INSERT also wakes the
    relays (wakeup.notifying), so writing an event is one round trip."""
    if dialect != "postgresql":
        return outbox.insert()
    return wakeup.notifying(outbox.insert(), [outbox.c[name] for name in _WRITTEN])


_WRITTEN = ("event_id", "type", "subject", "body", "created_at")


def pending(session: Session) -> tuple[int, datetime | None]:
    """How many rows wait to be published, and when the oldest of them was written (UTC)."""
    count, oldest = session.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return count, oldest


def status(session: Session) -> dict[str, Any]:
    """What `mobility outbox status` prints: pending count, oldest pending age, last errors."""
    count, oldest = pending(session)
    sent = session.scalar(select(func.count()).where(outbox.c.sent_at.is_not(None)))
    errors = session.execute(
        select(outbox.c.event_id, outbox.c.type, outbox.c.attempts, outbox.c.last_error)
        .where(outbox.c.sent_at.is_(None), outbox.c.last_error.is_not(None))
        .order_by(outbox.c.id)
        .limit(20)
    ).all()
    return {
        "pending": count,
        "sent": sent,
        "oldest_pending_age_seconds": (datetime.now(UTC) - oldest).total_seconds() if oldest else None,
        "stuck": [dict(r._mapping) for r in errors],
    }
