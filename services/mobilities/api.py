"""HTTP resources for mobility records (behind the gateway at /api/v1/mobilities): the list in the caller's scope,
one record, and its steps: the checklist, departure, arrival, return, a no-show, a dated permit or an event held,
a change of dates (a shortening at once, an extension through approval), credit recognitions.

Object-level checks are access.py's; a record the caller may not see is "not found".
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.db import one_snapshot
from chassis.tracing import correlation_id
from services.mobilities import access, domain, holds, reports
from services.mobilities.events import announce
from services.mobilities.kinds import journey
from services.mobilities.models import Extension, Mobility, MobilityFile, Recognition
from services.mobilities.schemas import (
    DateIn,
    DatesIn,
    MobilityList,
    MobilityOut,
    MobilityQuery,
    NoShowIn,
    RecognitionIn,
    TickIn,
)

blp = Blueprint("mobilities", __name__, url_prefix="/api/v1/mobilities",
                description="Mobility records: one person's trip or stay after approval")


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(ctx().settings.timezone)).date()


def load(session: Session, mobility_id: Any, lock: bool = False) -> Mobility:
    record = session.get(Mobility, str(mobility_id), with_for_update=lock or None)
    if record is None or not access.can_read(current_identity(), record):
        abort(404, message="No such mobility.")
    return record


def load_for_action(session: Session, mobility_id: Any) -> Mobility:
    record = load(session, mobility_id, lock=True)
    if not access.can_act(current_identity(), record):
        abort(403, message="Only the traveller's applicant or the office records this.")
    return record


def _due(session: Session, record: Mobility, report: Any, on: date) -> list[dict[str, Any]]:
    items = []
    if report is not None and report.status in ("draft", "returned") and record.status == "returned":
        owed = reports.due(report)
        items.append({"what": journey(record.kind).owes, "due_on": owed.isoformat(), "overdue": on > owed})
    permit = domain.permit_due(record)
    if permit is not None:
        items.append({"what": "residence_permit", "due_on": permit.isoformat(), "overdue": on > permit})
    return items


def shown(session: Session, record: Mobility) -> dict[str, Any]:
    """The record as the API shows it, with its report, pending extension, files, recognitions and what is due."""
    report = reports.of(session, record.id)
    j = journey(record.kind)
    ticked = record.checklist or {}
    extension = session.scalars(select(Extension).where(Extension.mobility_id == record.id)
                                .order_by(Extension.requested_at.desc())).first()
    return {
        **{c: getattr(record, c) for c in (
            "id", "application_id", "kind", "category", "school", "owner", "owner_name", "title", "status",
            "planned_start", "planned_end", "approved_end", "departed_on", "arrived_on", "returned_on", "closed_on",
            "ended_reason", "steps", "version", "created_at", "updated_at")},
        "group_id": record.application_id,
        # where a student exchange goes: learnt from placements' nomination.approved (None until then)
        "host": record.host,
        "person": {"name": record.person_name, "staff_number": record.staff_number, "role": record.role},
        "checklist": [{"item": item, "done": item in ticked, "done_on": (ticked.get(item) or {}).get("done_on"),
                       "by": (ticked.get(item) or {}).get("by")} for item in j.checklist],
        "due": _due(session, record, report, today()),
        "holds": [{"what": h.what, "scope": h.scope, "due_on": h.due_on.isoformat()}
                  for h in holds.open_holds(session, [record.id])],
        "report": None if report is None else reports.shown(session, record, report),
        "extension": extension,
        "files": list(session.scalars(select(MobilityFile).where(MobilityFile.mobility_id == record.id)
                                      .order_by(MobilityFile.created_at))),
        "recognitions": list(session.scalars(select(Recognition).where(Recognition.mobility_id == record.id)
                                             .order_by(Recognition.created_at))),
        "journey": {"checklist": list(j.checklist), "steps": list(j.steps), "files": list(j.files),
                    "owes": j.owes, "sections": list(j.sections), "inbound": j.inbound},
    }


def scope_filter(identity: Any) -> Any:
    """The records the caller may read, as a WHERE clause (None: every record)."""
    if access.sees_all(identity):
        return None
    return or_(Mobility.owner == identity.username, Mobility.school.in_(access.schools_reviewed(identity)))


@blp.route("")
class Mobilities(MethodView):
    @blp.arguments(MobilityQuery, location="query")
    @blp.response(200, MobilityList)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The records the caller may see (their own; their school's for its reviewers; all for the office)."""
        identity = current_identity()
        statement = select(Mobility).order_by(Mobility.planned_start.desc().nulls_last(), Mobility.application_id,
                                              Mobility.position).limit(500)
        where = scope_filter(identity)
        if where is not None:
            statement = statement.where(where)
        if query.get("mine"):
            statement = statement.where(Mobility.owner == identity.username)
        for name in ("status", "kind", "school"):
            if query.get(name):
                statement = statement.where(getattr(Mobility, name) == query[name])
        if query.get("application_id"):
            statement = statement.where(Mobility.application_id == str(query["application_id"]))
        with ctx().sessions() as session:
            one_snapshot(session)  # each record with its extension, report, holds as of one moment
            return {"items": [shown(session, r) for r in session.scalars(statement)]}


MOBILITY = {"in": "path", "name": "mobility_id", "schema": {"type": "string", "format": "uuid"}}


@blp.route("/<uuid:mobility_id>", parameters=[MOBILITY])
class OneMobility(MethodView):
    @blp.response(200, MobilityOut)
    def get(self, mobility_id: uuid.UUID) -> dict[str, Any]:
        with ctx().sessions() as session:
            one_snapshot(session)  # the record and its extension, report, holds as of one moment
            return shown(session, load(session, mobility_id))


def _step(mobility_id: uuid.UUID, act: Any) -> dict[str, Any]:
    """Run `act(session, record, today)` on the record, locked, in one transaction; announce what it returns."""
    now = datetime.now(UTC)
    with ctx().sessions() as session, session.begin():
        record = load_for_action(session, mobility_id)
        event_type = act(session, record, today())
        record.updated_at = now
        if event_type:
            extra = {"reason": record.ended_reason} if event_type == "mobility.no_show" else {}
            announce(session, event_type, record, correlation_id(), **extra)
        if record.status == "returned" and journey(record.kind).owes is None:  # an expert left: nothing owed
            announce(session, domain.close(record, today()), record, correlation_id())
            holds.clear_all(session, record, now, correlation_id())  # a permit overdue is moot once they left
        if record.status == "returned":
            reports.open_for(session, record, now)
        session.flush()
        return shown(session, record)


@blp.route("/<uuid:mobility_id>/checklist/<item>", parameters=[MOBILITY])
class Checklist(MethodView):
    @blp.arguments(TickIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID, item: str) -> dict[str, Any]:
        """Tick an item of the checklist before departure (insurance, visa, safety briefing, passport collected)."""
        return _step(mobility_id, lambda s, r, d: domain.tick(r, item, body["on"] or d, current_identity().username, d))


@blp.route("/<uuid:mobility_id>/departure", parameters=[MOBILITY])
class Departure(MethodView):
    @blp.arguments(DateIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """The traveller left (an expert: entered China); 409 while the checklist is not complete."""
        return _step(mobility_id, lambda s, r, d: domain.depart(r, body["date"], d))


def _proofs(session: Session, record: Mobility) -> set[str]:
    return set(session.scalars(select(MobilityFile.file_type).where(MobilityFile.mobility_id == record.id)))


@blp.route("/<uuid:mobility_id>/arrival", parameters=[MOBILITY])
class Arrival(MethodView):
    @blp.arguments(DateIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """The traveller arrived at the host (a student uploads the host's arrival confirmation first)."""
        return _step(mobility_id, lambda s, r, d: domain.arrive(r, body["date"], d, _proofs(s, r)))


@blp.route("/<uuid:mobility_id>/return", parameters=[MOBILITY])
class Return(MethodView):
    @blp.arguments(DateIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """The traveller came back (an expert left China); a report owed falls due from this day."""
        return _step(mobility_id, lambda s, r, d: domain.come_back(r, body["date"], d))


@blp.route("/<uuid:mobility_id>/no-show", parameters=[MOBILITY])
class NoShow(MethodView):
    @blp.arguments(NoShowIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """The traveller did not go: the record ends."""
        return _step(mobility_id, lambda s, r, d: domain.no_show(r, body["reason"]))


def _dated_step(session: Session, record: Mobility, step: str, on: date, today_: date) -> str | None:
    if step == "held":
        return domain.hold_event(record, on, today_)
    domain.record_step(record, step, on, today_)
    if step == "residence_permit":
        holds.clear(session, record, "residence_permit", datetime.now(UTC), correlation_id())
    return None


@blp.route("/<uuid:mobility_id>/steps/<step>", parameters=[MOBILITY])
class Step(MethodView):
    @blp.arguments(DateIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID, step: str) -> dict[str, Any]:
        """A dated step: an expert's work permit or residence permit, a hosted event held."""
        return _step(mobility_id, lambda s, r, d: _dated_step(s, r, step, body["date"], d))


@blp.route("/<uuid:mobility_id>/dates", parameters=[MOBILITY])
class Dates(MethodView):
    @blp.arguments(DatesIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """A new end of the stay: within the approved dates it applies at once (shortened); beyond them it waits
        for approval by the kind's chain (the levels marked for changes), through applications and reviews."""
        now = datetime.now(UTC)
        identity = current_identity()
        with ctx().sessions() as session, session.begin():
            record = load_for_action(session, mobility_id)
            change = domain.dates_change(record, body["end_date"], today())
            if change == "shortened":
                previous, record.planned_end, record.updated_at = record.planned_end, body["end_date"], now
                announce(session, "mobility.changed", record, correlation_id(), change={
                    "change": "shortened", "previous_end": previous.isoformat() if previous else None,
                    "reason": body["reason"]})
            else:
                pending = session.scalars(select(Extension).where(Extension.application_id == record.application_id,
                                                                  Extension.status == "pending")).first()
                if pending is not None:
                    raise domain.MobilityError("An extension of this trip is already waiting for approval.")
                extension = Extension(id=str(uuid.uuid4()), mobility_id=record.id,
                                      application_id=record.application_id, end_date=body["end_date"],
                                      reason=body["reason"], status="pending", requested_by=identity.username,
                                      requested_at=now)
                session.add(extension)
                announce(session, "mobility.extension_requested", record, correlation_id(), extension={
                    "id": extension.id, "end_date": extension.end_date.isoformat(), "reason": extension.reason,
                    "requested_by": identity.username})
            session.flush()
            return shown(session, record)


@blp.route("/<uuid:mobility_id>/recognitions", parameters=[MOBILITY])
class Recognitions(MethodView):
    @blp.arguments(RecognitionIn)
    @blp.response(201, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """Record one course's credit recognition (the school's reviewers or the office), after the transcript;
        the record closes with its first recognition."""
        identity = current_identity()
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            record = load(session, mobility_id, lock=True)
            if not access.can_record_credits(identity, record):
                abort(403, message="Only the school's reviewers or the office record credit recognition.")
            if journey(record.kind).owes != "transcript":
                raise domain.MobilityError("Credit recognition is recorded for a student's stay only.")
            if record.status not in ("reported", "closed"):
                raise domain.MobilityError("The transcript of records comes first: it is not uploaded yet.")
            recognition = Recognition(id=str(uuid.uuid4()), mobility_id=record.id, recorded_by=identity.username,
                                      created_at=now, **body)
            session.add(recognition)
            announce(session, "mobility.recognized", record, correlation_id(), recognition={
                "host_course": body["host_course"], "credits": float(body["credits"]), "grade": body["grade"],
                "home_course": body["home_course"], "recognised_credits": float(body["recognised_credits"])})
            if record.status == "reported":
                announce(session, domain.close(record, today()), record, correlation_id())
            record.updated_at = now
            session.flush()
            return shown(session, record)
