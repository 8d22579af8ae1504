"""The inbox: which events a consumer has already applied, so a redelivery has no second effect."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from eventbus.tables import inbox


def record(session: Session, consumer: str, events: Sequence[CloudEvent]) -> set[str]:
    """Insert (consumer, event id) for each event, in one statement in the caller's transaction. Returned: the
    ids seen for the first time; an id missing from it was applied before, so do nothing for it."""
    received_at = datetime.now(UTC)
    result = session.execute(_recording(session.get_bind().dialect.name), [
        {"consumer": consumer, "event_id": e.get_id(), "event_type": e.get_type(), "received_at": received_at}
        for e in events])
    return set(result.scalars())


@functools.cache
def _recording(dialect: str) -> Any:
    """The insert, built once per dialect; SQLAlchemy sends a batch's rows as one multi-row INSERT."""
    return ((postgresql if dialect == "postgresql" else sqlite).insert(inbox)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(inbox.c.event_id))  # rowcount is not reliable across drivers; a returned row is
