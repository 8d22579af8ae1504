"""The outbox: events written in the caller's business transaction, published later by the relay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventbus import catalog, envelope, wakeup
from eventbus.tables import outbox


def add(session: Session, event: CloudEvent) -> None:
    """Write `event` inside the caller's transaction. Its data must match the catalog schema."""
    catalog.validate(event.get_type(), event.get_data())
    session.execute(_INSERT, {"event_id": event.get_id(), "type": event.get_type(),
                              "subject": event.get_subject() or "", "body": envelope.to_json(event).decode("utf-8"),
                              "created_at": datetime.now(UTC)})
    wakeup.mark_written(session)


_INSERT = outbox.insert()  # built once: only the values are bound for each event


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
