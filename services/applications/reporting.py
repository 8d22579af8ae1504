"""The statistics read model, fed by events: one function per event type, each writing only stats_* rows.

application.* events carry the application's status, submission time and `mobility` facts, and their
`aggregateversion` (the application's revision, which moves on every change, status changes included); a row
keeps the newest revision seen, so repeated, late or reordered news changes nothing (the consumer's inbox
drops repeats too). review.task_created and review.decision_recorded give each review step its opening and
its decision, in either order. Each of these, which every submission brings, is one INSERT … ON CONFLICT DO
UPDATE that compares the revisions in the database; the rarer news below creates or locks its row with one such
statement … RETURNING and changes the object. Either way two workers taking the first news of one application at
once do not collide.

mobility.* events tell what happened after the approval, one row per mobility record (a group's members each
have one, sharing the application): its status and return day follow the same rule per record, by the
record's own version (the events' `aggregateversion`). What a single event alone tells (a stay extended or
shortened, a report on time or late) is history rather than state: it is kept whichever news arrives first,
as submitted_at is above, since no later news repeats it; a repeat sets what is already set.

The placements service tells where a student exchange really goes: offer.accepted and nomination.approved make
the partner the allocated one (the statistics counted the first choice before), a rejected or cancelled
nomination of that partner, or a withdrawn or superseded offer of it, makes it the first choice again. These come
from several offers and nominations, each with its own version, so they are ordered by the events' time: a row
keeps the time of the newest it applied.
allocation.completed gives the places each partner had in a round's run; the round's latest run (by number)
stands. offer.made tells which round a student is in (an academic year for the round's places).

Nothing here reads the applications' own tables, except `backfill` (`mobility backfill-statistics`), which
fills the model once from them for applications decided before the model existed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.applications.models import (
    Application,
    HistoryEntry,
    MobilityFact,
    MobilityRecordFact,
    PlaceFact,
    ReviewStep,
)
from services.applications.regions import region_of

APPLICATION_EVENTS = (
    "application.submitted", "application.resubmitted", "application.changes_requested",
    "application.approved", "application.rejected", "application.withdrawn", "application.cancelled",
    "application.changed",  # an approved change: the trip's facts as they are now
)
_FACTS = ("direction", "people", "duration_days", "duration_band", "academic_year")
_PARTNER = ("partner_id", "partner_name", "country", "region")  # the first choice's, or the allocated one's
# mobility.planned makes every record known, so a group with a member still away is not over yet
MOBILITY_EVENTS = ("mobility.planned", "mobility.returned", "mobility.no_show", "mobility.changed",
                   "mobility.reported", "mobility.cancelled")
ALLOCATION_EVENTS = ("offer.accepted", "nomination.approved", "nomination.rejected", "nomination.cancelled",
                     "offer.withdrawn", "offer.superseded")
Row = TypeVar("Row", MobilityFact, ReviewStep, MobilityRecordFact, PlaceFact)


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _insert(session: Session, model: type[Row], values: dict[str, Any]) -> Any:
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(model).values(**values)


def _key(model: type[Row]) -> list[str]:
    return [column.name for column in model.__table__.primary_key.columns]


def _locked(session: Session, model: type[Row], **first: Any) -> Row:
    """The row `first` names by its key, created with `first` when missing, locked for this transaction: one
    upsert that changes nothing of an existing row but takes its lock, and returns it (a statement and a round
    trip fewer than an insert-if-missing then a locking read)."""
    insert, key = _insert(session, model, first), _key(model)
    statement = insert.on_conflict_do_update(index_elements=key, set_={key[0]: insert.excluded[key[0]]})
    return session.scalars(statement.returning(model), execution_options={"populate_existing": True}).one()


def _merge(session: Session, model: type[Row], values: dict[str, Any], update: Update) -> None:
    """For the news every submission brings: one INSERT … ON CONFLICT DO UPDATE and no object loaded. The row is
    inserted with `values`, or, when its key is there, set as `update(row, excluded, names)` says, in SQL
    expressions of the row's columns and the values' (`excluded`), so the database compares them under its lock
    on the row. The statement is built once per set of names; only the values are bound for each event. What
    the batch's earlier handlers changed through objects is written first (the session autoflushes before a Core
    statement too: SQLAlchemy issue #9809). An object of the row already in the session is not refreshed by it:
    whoever changes the row through an object later loads it with `_locked`, which reads it afresh."""
    session.execute(_merging(session.get_bind().dialect.name, model, tuple(values), update), values)


Update = Callable[[Any, Any, tuple[str, ...]], dict[str, Any]]


@functools.cache
def _merging(dialect: str, model: type[Row], names: tuple[str, ...], update: Update) -> Any:
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(model.__table__)
    return insert.on_conflict_do_update(index_elements=_key(model),
                                        set_=update(model.__table__.c, insert.excluded, names))


def _application_news(row: Any, excluded: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """What an application.* event changes of its existing row: everything it tells when its revision is newer,
    partner_* as _counted_partner says (the allocated partner when the row has one, else the news' first
    choice), and the submission time whenever the row has none yet (even stale news may say when it was
    submitted: a withdrawal can overtake its submission)."""
    newer = row.version < excluded.version
    counted = {name: case((row.allocated_partner_id.is_not(None), row[f"allocated_{name}"]),
                          else_=excluded[f"choice_{name}"]) for name in _PARTNER}
    told = {name: excluded[name] for name in names if name not in ("application_id", "submitted_at", *_PARTNER)}
    return {**{name: case((newer, value), else_=row[name]) for name, value in {**told, **counted}.items()},
            "submitted_at": func.coalesce(row.submitted_at, excluded.submitted_at)}


def apply_application(session: Session, data: dict[str, Any], revision: int) -> None:
    """One application.* event's news (or the backfill's) at `revision`: newer than the row, or nothing
    happens. The revision, not the data's version: a status change keeps the content's version."""
    facts = data.get("mobility") or {}
    news: dict[str, Any] = {
        "application_id": data["application_id"], "version": revision, "kind": data["kind"],
        "school": data["school"], "status": data["status"], **{name: facts.get(name) for name in _FACTS},
        "people": facts.get("people", 1), "direction": facts.get("direction", ""),
        **{f"choice_{name}": facts.get(name) for name in _PARTNER},
        **{name: facts.get(name) for name in _PARTNER},  # a new row counts its first choice
        **{name: date.fromisoformat(facts[name]) if facts.get(name) else None for name in ("start_date", "end_date")},
        "submitted_at": _instant(data.get("submitted_at")),
        "withdrawn_at": _instant(data.get("withdrawn_at")) if data["status"] == "withdrawn" else None}
    if data["status"] in ("approved", "rejected"):
        if "change" not in data:  # application.changed decides a change of the trip, not the application
            news["decided_at"] = _instant(data.get("decided_at"))
    elif data["status"] != "cancelled":  # a cancelled trip was decided all the same
        news["decided_at"] = None
    _merge(session, MobilityFact, news, _application_news)


def _counted_partner(row: MobilityFact) -> None:
    """partner_* is what the statistics count: the allocated partner when there is one, else the first choice."""
    source = "allocated" if row.allocated_partner_id is not None else "choice"
    row.partner_id = getattr(row, f"{source}_partner_id")
    row.partner_name = getattr(row, f"{source}_partner_name")
    row.country, row.region = getattr(row, f"{source}_country"), getattr(row, f"{source}_region")


def on_application_event(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    # Events from before the revision existed carried the version as their aggregateversion: the same number.
    apply_application(session, data, int(event.get_extension("aggregateversion") or data["version"]))


def _step(session: Session, data: dict[str, Any], **news: Any) -> None:
    """The review step's row, with what this event tells of it (the other event's part is left as it is)."""
    _merge(session, ReviewStep, {"task_id": data["task_id"], "application_id": data["application_id"],
                                 "level": data["level"], **news}, _step_news)


def _step_news(row: Any, excluded: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: excluded[name] for name in names if name not in ("task_id", "application_id", "level")}


def on_review_task_created(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    _step(session, data, created_at=event.get_time())


def on_review_decision_recorded(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    _step(session, data, decided_at=_instant(data["decided_at"]), outcome=data["outcome"])


def on_mobility_event(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """One mobility.* event's news of one record at the record's version: its status and return day when newer
    than the row; an extension, a shortening or the report's timeliness whenever told."""
    revision = int(event.get_extension("aggregateversion"))  # the record's version: every mobility.* has it
    row = _locked(session, MobilityRecordFact, mobility_id=data["mobility_id"],
                  application_id=data["application_id"], version=0, role=data["person"]["role"],
                  status=data["status"], extended=False, shortened=False)
    change = (data.get("change") or {}).get("change")
    if change in ("extended", "shortened"):
        setattr(row, change, True)
    report = data.get("report")
    if report is not None and (row.report_version is None or row.report_version < revision):
        row.report_on_time, row.report_version = bool(report["on_time"]), revision
    if row.version >= revision:
        return
    row.version, row.status, row.role = revision, data["status"], data["person"]["role"]
    row.returned_on = date.fromisoformat(data["returned_on"]) if data.get("returned_on") else None


def _application_row(session: Session, data: dict[str, Any]) -> MobilityFact:
    """The application's row; placements' news may come before the application's own (it is filled then)."""
    return _locked(session, MobilityFact, application_id=data["application_id"],
                   version=0, kind="student_exchange", school=data.get("school") or "", status="approved",
                   direction="outbound", people=1)


def on_allocation_news(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """offer.accepted or nomination.approved: the partner is the allocated one; nomination.rejected or
    .cancelled, offer.withdrawn or .superseded: not any more, if it was that partner. Newer news (by the events'
    time) than the row's only."""
    row = _application_row(session, data)
    at = event.get_time()
    row.selection_round_id = data.get("round_id") or row.selection_round_id
    if row.allocation_news_at is not None and at is not None and at <= row.allocation_news_at:
        return
    row.allocation_news_at = at
    if event.get_type() in ("offer.accepted", "nomination.approved"):
        first_choice = data["partner_id"] == row.choice_partner_id
        # The events may not name the partner's country: the first choice's facts do, when it is that partner.
        country = data.get("partner_country") or (row.choice_country if first_choice else None)
        row.allocated_partner_id, row.allocated_partner_name = data["partner_id"], data.get("partner_name")
        row.allocated_country = country
        row.allocated_region = data.get("partner_region") or (row.choice_region if first_choice else None) or (
            region_of(country) if country else None)
    elif row.allocated_partner_id == data["partner_id"]:
        row.allocated_partner_id = row.allocated_partner_name = row.allocated_country = row.allocated_region = None
    _counted_partner(row)


def on_offer_made(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """The student is in this selection round: its places count in the year of its students' mobilities."""
    _application_row(session, data).selection_round_id = data["round_id"]


def on_allocation_completed(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """The places each partner had in this run of the round; a run older than the rows' changes nothing."""
    for place in data.get("places") or []:
        row = _locked(session, PlaceFact, round_id=data["round_id"],
                      partner_id=place["partner_id"], program_id=data.get("program_id"),
                      partner_name=place.get("partner_name") or "", places=0, run_number=0)
        if row.run_number > data["number"]:
            continue
        row.run_number, row.places = data["number"], int(place["places"])
        row.partner_name = place.get("partner_name") or row.partner_name
        row.academic_year = data.get("academic_year", row.academic_year)


HANDLERS = {
    **{event_type: on_application_event for event_type in APPLICATION_EVENTS},
    **{event_type: on_allocation_news for event_type in ALLOCATION_EVENTS},
    "offer.made": on_offer_made,
    "allocation.completed": on_allocation_completed,
    **{event_type: on_mobility_event for event_type in MOBILITY_EVENTS},
    "review.task_created": on_review_task_created,
    "review.decision_recorded": on_review_decision_recorded,
}


def backfill(session: Session) -> int:
    """Fill the model from the applications' own tables: every application ever submitted, as its latest
    application.* event would have said. Rows the events already brought up to date are left alone (same
    revision check). Review steps are not backfilled: their times live in the reviews service. Returns how
    many applications were looked at."""
    from services.applications.events import application_data

    decided: dict[tuple[str, str], datetime] = {
        (application_id, status): at for application_id, status, at in session.execute(
            select(HistoryEntry.application_id, HistoryEntry.to_status, HistoryEntry.at)
            .where(HistoryEntry.to_status.in_(("approved", "rejected", "withdrawn"))))}
    seen = 0
    for application in session.scalars(select(Application).where(Application.submitted_at.is_not(None))):
        data = application_data(application, application.program)
        when = decided.get((application.id, application.status))
        data["decided_at" if application.status != "withdrawn" else "withdrawn_at"] = when.isoformat() if when else None
        apply_application(session, data, application.revision)
        seen += 1
    return seen
