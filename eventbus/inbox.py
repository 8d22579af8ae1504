"""The inbox: which events a consumer has already applied, so a redelivery has no second effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from eventbus.tables import inbox


def record(session: Session, consumer: str, events: Sequence[CloudEvent]) -> set[str]:
    """Insert (consumer, event id) for each event, in one statement in the caller's transaction. Returned: the
    ids seen for the first time; an id missing from it was applied before, so do nothing for it."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(inbox)
    received_at = datetime.now(UTC)
    result = session.execute(
        insert.values([
            {"consumer": consumer, "event_id": e.get_id(), "event_type": e.get_type(), "received_at": received_at}
            for e in events
        ])
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox.c.event_id)  # rowcount is not reliable across drivers; a returned row is
    )
    return set(result.scalars())
