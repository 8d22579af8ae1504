"""Holds on whoever is overdue: placed by the deadline sweep for an overdue report, summary or residence permit
(on the person who owes it, and on the whole school where the office switched school holds on), cleared when the
item is done or the switch goes off. Each placement and clearing is an event; applications keeps the list and
refuses a submission that a hold names."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mobilities.events import hold_event
from services.mobilities.models import Hold, Mobility
from services.mobilities.rules import school_holds_on


def place(session: Session, record: Mobility, what: str, due_on: date, now: datetime) -> int:
    """Hold the person (and the school, if switched on) for `what`; returns how many holds are new."""
    scopes = ["person"] + (["school"] if school_holds_on(session, record.school) else [])
    placed = 0
    for scope in scopes:
        exists = session.scalars(select(Hold.id).where(
            Hold.mobility_id == record.id, Hold.what == what, Hold.scope == scope)).first()
        if exists is not None:
            continue  # one hold per item and scope, ever: a cleared one stays cleared
        hold = Hold(id=str(uuid.uuid4()), mobility_id=record.id, what=what, scope=scope, due_on=due_on, placed_at=now)
        session.add(hold)
        hold_event(session, "mobility.hold_placed", hold, record, due_on, None)
        placed += 1
    return placed


def clear(session: Session, record: Mobility, what: str, now: datetime, correlationid: str | None,
          scope: str | None = None) -> int:
    """The item is done (or the school's switch went off): its open holds end."""
    query = select(Hold).where(Hold.mobility_id == record.id, Hold.what == what, Hold.cleared_at.is_(None))
    if scope is not None:
        query = query.where(Hold.scope == scope)
    cleared = 0
    for hold in session.scalars(query):
        hold.cleared_at = now
        hold_event(session, "mobility.hold_cleared", hold, record, hold.due_on, correlationid)
        cleared += 1
    return cleared


def open_holds(session: Session, record_ids: list[str]) -> list[Hold]:
    if not record_ids:
        return []
    return list(session.scalars(select(Hold).where(Hold.mobility_id.in_(record_ids), Hold.cleared_at.is_(None))))
