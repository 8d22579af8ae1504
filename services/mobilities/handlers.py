"""What the mobilities service does when an application's news arrives (one function per event type).

application.approved creates one record per traveller (each member of a group); application.changed moves the
live records' dates (an approved extension among them); application.change_rejected refuses a pending extension;
application.cancelled ends the records not yet under way. The application's revision (the events'
aggregateversion) orders its news: older news than a record has applied changes nothing.

nomination.approved (from the placements service) gives a student exchange's records their host; a rejected or
cancelled nomination takes it away again. One nomination's news is ordered by its version (aggregateversion);
news of another nomination of the same application by the events' time, so a late word on an earlier nomination
does not undo a later one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mobilities import domain
from services.mobilities.events import announce
from services.mobilities.models import Extension, Mobility


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _revision(event: CloudEvent) -> int:
    value = event.get_extension("aggregateversion")
    return int(value) if value is not None else 0


def _records(session: Session, application_id: str) -> list[Mobility]:
    return list(session.scalars(select(Mobility).where(Mobility.application_id == application_id)
                                .order_by(Mobility.position).with_for_update()))


def _ensure_records(session: Session, data: dict[str, Any], event: CloudEvent, now: datetime) -> list[Mobility]:
    """The application's records, created from this news if it is the first the service sees of an approval."""
    records = _records(session, data["application_id"])
    if records:
        return records
    facts = data.get("mobility") or {}
    start, end = _day(facts.get("start_date")), _day(facts.get("end_date"))
    for position, person in enumerate(domain.travellers(data)):
        record = Mobility(
            id=str(uuid.uuid4()), application_id=data["application_id"], position=position, kind=data["kind"],
            category=data.get("category"), school=data["school"], owner=data["applicant"],
            owner_name=data.get("applicant_name") or "", person_name=person["name"],
            staff_number=person["staff_number"], role=person["role"], title=(data.get("title") or "")[:300],
            status="planned", planned_start=start, planned_end=end, approved_end=end, checklist={}, steps={},
            application_revision=_revision(event), version=0, created_at=now, updated_at=now)
        session.add(record)
        announce(session, "mobility.planned", record, event.get_extension("correlationid"))
        records.append(record)
    return records


def on_application_approved(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    _ensure_records(session, data, event, datetime.now(UTC))


def _extension(session: Session, data: dict[str, Any]) -> Extension | None:
    extension_id = (data.get("change") or {}).get("extension_id")
    if not extension_id:
        return None
    extension = session.get(Extension, extension_id, with_for_update=True)
    return extension if extension is not None and extension.status == "pending" else None


def on_application_changed(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """An approved change: the live records take the application's dates; an extension it answers is approved."""
    now = datetime.now(UTC)
    records = _ensure_records(session, data, event, now)
    extension = _extension(session, data)
    if extension is not None:
        extension.status, extension.decided_at = "approved", now
        extension.comment = data.get("comment")
    facts = data.get("mobility") or {}
    start, end = _day(facts.get("start_date")), _day(facts.get("end_date"))
    revision = _revision(event)
    for record in records:
        if revision and revision <= record.application_revision:
            continue  # older news than this record has applied
        record.application_revision = revision
        record.title = (data.get("title") or record.title)[:300]
        if record.status not in ("planned", "departed") or (end == record.approved_end
                                                            and start == record.planned_start):
            continue  # the application's dates did not move (a traveller's own shortening stands)
        previous = record.planned_end
        new_end = end if end != record.approved_end else record.planned_end
        record.planned_start, record.planned_end, record.approved_end = start or record.planned_start, new_end, end
        if new_end == previous:
            continue
        record.updated_at = now
        change = "extended" if previous is None or (end is not None and end > previous) else "shortened"
        reason = extension.reason if extension is not None else (data.get("change") or {}).get("reason")
        announce(session, "mobility.changed", record, event.get_extension("correlationid"),
                 change={"change": change, "previous_end": previous.isoformat() if previous else None,
                         "reason": reason})


def on_application_change_rejected(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    extension = _extension(session, data)
    if extension is not None:
        extension.status, extension.decided_at = "refused", datetime.now(UTC)
        extension.comment = data.get("comment")


def on_application_cancelled(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """Only an approved application is cancelled: its records are made first if its approval is still on its way
    (a late approval then finds them, cancelled, and makes none)."""
    now = datetime.now(UTC)
    for record in _ensure_records(session, data, event, now):
        if domain.cancel(record, data.get("comment")):
            record.updated_at = now
            announce(session, "mobility.cancelled", record, event.get_extension("correlationid"))
    for extension in session.scalars(select(Extension).where(
            Extension.application_id == data["application_id"], Extension.status == "pending")):
        extension.status, extension.decided_at = "refused", now


class RecordsNotYetKnown(RuntimeError):
    """A nomination's news came before the application's approval made its records: the consumer retries later
    (the approval is always sent first, long before, so this only bridges a reordering on the way)."""


def _newer(record: Mobility, nomination_id: str, revision: int, at: datetime) -> bool:
    if record.host_nomination_id == nomination_id:
        return revision > record.host_revision
    return record.host_news_at is None or at > record.host_news_at


def _host_news(session: Session, data: dict[str, Any], event: CloudEvent, approved: bool) -> None:
    records = _records(session, data["application_id"])
    if not records:
        raise RecordsNotYetKnown(f"no mobility record yet for application {data['application_id']}")
    nomination_id, revision, at = data["nomination_id"], _revision(event), event.get_time() or datetime.now(UTC)
    for record in records:
        if not _newer(record, nomination_id, revision, at):
            continue
        if not approved and record.host_nomination_id not in (None, nomination_id):
            continue  # another nomination's host stands: this one's end says nothing about it
        record.host_nomination_id, record.host_revision, record.host_news_at = nomination_id, revision, at
        record.host_partner_id = data["partner_id"] if approved else None
        record.host_name = data.get("partner_name") if approved else None
        record.host_country = data.get("partner_country") if approved else None
        record.updated_at = datetime.now(UTC)


def on_nomination_approved(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    _host_news(session, data, event, approved=True)


def on_nomination_ended(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """nomination.rejected or nomination.cancelled: the partner is not (or no longer) the host."""
    _host_news(session, data, event, approved=False)


HANDLERS = {
    "application.approved": on_application_approved,
    "application.changed": on_application_changed,
    "application.change_rejected": on_application_change_rejected,
    "application.cancelled": on_application_cancelled,
    "nomination.approved": on_nomination_approved,
    "nomination.rejected": on_nomination_ended,
    "nomination.cancelled": on_nomination_ended,
}
