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
from services.mobilities.models import Hold, Mobility, SchoolHold
from services.mobilities.rules import school_holds_on


def place(session: Session, record: Mobility, what: str, due_on: date, now: datetime) -> int:
    """Hold the person (and the school, if switched on) for `what`; returns how many holds are new."""
    scopes = ["person"] + (["school"] if school_holds_on(session, record.school) else [])
    placed = 0
    for scope in scopes:
        exists = session.scalars(select(Hold.id).where(
            Hold.mobility_id == record.id, Hold.what == what, Hold.scope == scope, Hold.cleared_at.is_(None))).first()
        if exists is not None:
            continue  # one open hold per item and scope; the sweep holds the record's row, so two never race
        hold = Hold(id=str(uuid.uuid4()), mobility_id=record.id, what=what, scope=scope, due_on=due_on, placed_at=now)
        session.add(hold)
        hold_event(session, "mobility.hold_placed", hold, record, due_on, None)
        placed += 1
    return placed


def clear(session: Session, record: Mobility, what: str, now: datetime, correlationid: str | None) -> int:
    """The item is done: its open holds end."""
    query = select(Hold).where(Hold.mobility_id == record.id, Hold.what == what, Hold.cleared_at.is_(None))
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


def release_switched_off(session: Session, now: datetime, correlationid: str | None = None) -> int:
    """School holds of schools whose switch is off now: cleared when the office switches it off, and again by
    each sweep (one that read "on" just before the switch went off may have placed one), so none outlives it."""
    switched_on = select(SchoolHold.school).where(SchoolHold.on.is_(True))
    stale = session.execute(select(Hold, Mobility).join(Mobility, Mobility.id == Hold.mobility_id).where(
        Hold.scope == "school", Hold.cleared_at.is_(None), Mobility.school.not_in(switched_on))).all()
    for hold, record in stale:
        hold.cleared_at = now
        hold_event(session, "mobility.hold_cleared", hold, record, hold.due_on, correlationid)
    return len(stale)


def clear_all(session: Session, record: Mobility, now: datetime, correlationid: str | None) -> int:
    """The record ended: whatever it still held for is moot."""
    return sum(clear(session, record, what, now, correlationid)
               for what in {h.what for h in open_holds(session, [record.id])})
