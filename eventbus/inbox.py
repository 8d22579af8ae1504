"""The inbox: which events a consumer has already applied, so a redelivery has no second effect."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from eventbus.tables import inbox


def record(session: Session, consumer: str, event: CloudEvent) -> bool:
    """Insert (consumer, event id) in the caller's transaction. False means: seen before, do nothing."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(inbox)
    result = session.execute(
        insert.values(
            consumer=consumer,
            event_id=event.get_id(),
            event_type=event.get_type(),
            received_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox.c.event_id)  # rowcount is not reliable across drivers; a returned row is
    )
    return result.first() is not None
