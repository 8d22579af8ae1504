"""How the placements service announces what it did: one CloudEvent into its outbox, in the caller's transaction.
Each later module (agreements, rounds, offers, nominations) builds its event's data and calls `announce`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from eventbus import envelope, outbox

SOURCE = "/services/placements"


def announce(session: Session, event_type: str, subject: str, data: dict[str, Any], version: int,
             correlationid: str | None = None) -> None:
    """One event of `event_type` about `subject` (an agreement's, a round's, an offer's id ...); aggregateversion
    is that record's version, so consumers can ignore older news."""
    outbox.add(session, envelope.new_event(event_type, SOURCE, subject, data, correlationid=correlationid,
                                           aggregateversion=version))
