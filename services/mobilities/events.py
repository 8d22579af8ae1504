"""The mobility.* events, built from a record: the common fields of eventbus/schemas/_defs/mobility.json plus each
type's own. Every event moves the record's version, its aggregateversion."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from eventbus import envelope, outbox
from services.mobilities.kinds import journey
from services.mobilities.models import Hold, Mobility

SOURCE = "/services/mobilities"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def record_data(record: Mobility) -> dict[str, Any]:
    return {
        "mobility_id": record.id, "application_id": record.application_id, "group_id": record.application_id,
        "kind": record.kind, "category": record.category, "school": record.school, "owner": record.owner,
        "person": {"name": record.person_name, "staff_number": record.staff_number, "role": record.role},
        "title": record.title, "status": record.status,
        "planned_start": _day(record.planned_start), "planned_end": _day(record.planned_end),
        "departed_on": _day(record.departed_on), "arrived_on": _day(record.arrived_on),
        "returned_on": _day(record.returned_on),
        # travel abroad or a visit to the university (a foreign expert, a hosted event): custody lends a passport
        # only for the first
        "direction": "inbound" if journey(record.kind).inbound else "outbound",
    }


def announce(session: Session, event_type: str, record: Mobility, correlationid: str | None, **extra: Any) -> None:
    record.version += 1
    outbox.add(session, envelope.new_event(event_type, SOURCE, record.id, {**record_data(record), **extra},
                                           correlationid=correlationid, aggregateversion=record.version))


def hold_event(session: Session, event_type: str, hold: Hold, record: Mobility, due_on: date,
               correlationid: str | None) -> None:
    clears = {"report": "report_accepted", "summary": "summary_accepted",
              "residence_permit": "residence_permit_recorded"}[hold.what]
    data = {"hold_id": hold.id, "scope": hold.scope,
            "username": record.owner if hold.scope == "person" else None,
            "staff_number": record.staff_number if hold.scope == "person" else None,
            "school": record.school, "reason": f"{hold.what}_overdue", "mobility_id": record.id,
            "title": record.title, "due_on": due_on.isoformat(), "clears": clears}
    version = 1 if event_type == "mobility.hold_placed" else 2
    outbox.add(session, envelope.new_event(event_type, SOURCE, hold.id, data, correlationid=correlationid,
                                           aggregateversion=version))
