"""/api/v1/selection-rounds/{id}/publicity: the 差额公示 of a round's candidate list, and
/api/v1/selection-rounds/publicity: the lists anyone signed in may find (list_publicity.py has the
rules). The ICD publishes it and decides objections; any signed-in member of the university reads the notice and
its dates and lodges an objection. Objections' texts and objectors are shown to the ICD only (and each objector
sees their own). The request and response schemas are here: they serve this blueprint alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.db import one_snapshot
from chassis.tokens import Identity
from services.placements import access, list_publicity
from services.placements.errors import PlacementError
from services.placements.models import (
    LIST_NOTICE_STATUSES,
    LIST_OBJECTION_STATUSES,
    ListNotice,
    ListObjection,
    Program,
    Round,
)

blp = Blueprint("list_publicity_api", __name__, url_prefix="/api/v1/selection-rounds",
                description="The 差额公示 of a round's candidate list")
ROUND = {"in": "path", "name": "round_id", "schema": {"type": "string", "format": "uuid"}}
OBJECTION = {"in": "path", "name": "objection_id", "schema": {"type": "string", "format": "uuid"}}


class ObjectionIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    application_id = fields.UUID(load_default=None, metadata={"description": "the candidate it is about, if one"})


class DecisionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(list_publicity.OUTCOMES))
    comment = fields.String(load_default=None, validate=validate.Length(max=4000))
    application_id = fields.UUID(load_default=None, metadata={
        "description": "upholding: the candidate who leaves the round, if the objection names none"})


class ListRow(Schema):
    position = fields.Integer(required=True)
    application_id = fields.String(required=True)
    name = fields.String(required=True)
    school = fields.String(allow_none=True)
    score = fields.String(required=True)
    partner_id = fields.String(allow_none=True)
    allocated = fields.String(required=True, metadata={"description": "the partner's name, or \"waiting\""})


class ObjectionOut(Schema):
    id = fields.String(required=True)
    objector = fields.String()
    objector_name = fields.String()
    text = fields.String()
    application_id = fields.String(allow_none=True)
    lodged_at = fields.DateTime(required=True)
    status = fields.String(required=True, validate=validate.OneOf(LIST_OBJECTION_STATUSES))
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True)


class NoticeOut(Schema):
    round_id = fields.String(required=True)
    program_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(LIST_NOTICE_STATUSES))
    working_days = fields.Integer(required=True)
    opened_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    remaining = fields.Integer(allow_none=True, metadata={"description": "working days left while paused"})
    reason = fields.String(allow_none=True, metadata={"description": "why a blocked list is not open yet"})
    published_by = fields.String(required=True)
    published_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    version = fields.Integer(required=True)
    candidates = fields.List(fields.Nested(ListRow), required=True)
    objections_open = fields.Integer(required=True)
    objections = fields.List(fields.Nested(ObjectionOut), required=True, metadata={
        "description": "all of them for the ICD; the caller's own for anyone else"})


class FoundOut(Schema):
    round_id = fields.String(required=True)
    program_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("open", "paused", "ended")))
    opened_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    remaining = fields.Integer(allow_none=True, metadata={"description": "working days left while paused"})
    ended_at = fields.DateTime(allow_none=True)


class FoundListOut(Schema):
    items = fields.List(fields.Nested(FoundOut), required=True, metadata={
        "description": "running or paused lists first, then those ended in the last 30 days; newest first"})


def _office() -> Identity:
    identity = current_identity()
    if not access.is_office(identity):
        abort(403, message="Only the ICD and admins publish a candidate list and decide its objections.")
    return identity


def _objection(o: ListObjection) -> dict[str, Any]:
    return {"id": o.id, "objector": o.objector, "objector_name": o.objector_name, "text": o.text,
            "application_id": o.application_id, "lodged_at": o.lodged_at, "status": o.status,
            "decided_by": o.decided_by, "decided_at": o.decided_at, "comment": o.comment}


def shown(session: Session, notice: ListNotice, identity: Identity) -> dict[str, Any]:
    """The notice as this caller may see it: its objections' texts to the ICD, else only the caller's own."""
    office = access.is_office(identity)
    objections = list_publicity.objections_of(session, notice.round_id)
    round_ = session.get(Round, notice.round_id)
    program = session.get(Program, round_.program_id) if round_ else None
    return {"round_id": notice.round_id, "program_name": program.name if program else "", "status": notice.status,
            "working_days": notice.working_days,
            "opened_on": notice.opened_on, "ends_on": notice.ends_on, "remaining": notice.remaining,
            "reason": notice.reason, "published_by": notice.published_by, "published_at": notice.published_at,
            "ended_at": notice.ended_at, "version": notice.version, "candidates": notice.content,
            "objections_open": sum(1 for o in objections if o.status == "open"),
            "objections": [_objection(o) for o in objections if office or o.objector == identity.username]}


def _now_zone() -> tuple[datetime, str]:
    return datetime.now(UTC), ctx().settings.timezone


# A static path: the <uuid:...> converter of /selection-rounds/{round_id} never matches "publicity", so neither
# route shadows the other, whatever the registration order.
@blp.route("/publicity")
class Findable(MethodView):
    @blp.response(200, FoundListOut)
    def get(self) -> dict[str, Any]:
        """The candidate lists anyone signed in may find and object to: running, paused, or ended within 30 days,
        without their candidates or objections (read one list at /selection-rounds/{round_id}/publicity)."""
        now = datetime.now(UTC)  # any signed-in caller: chassis/auth.py refuses a request without a good token
        with ctx().sessions() as session:
            return {"items": [{"round_id": notice.round_id, "program_name": name, "status": notice.status,
                               "opened_on": notice.opened_on, "ends_on": notice.ends_on,
                               "remaining": notice.remaining, "ended_at": notice.ended_at}
                              for notice, name in list_publicity.findable(session, now)]}


@blp.route("/<uuid:round_id>/publicity", parameters=[ROUND])
class Publicity(MethodView):
    @blp.response(201, NoticeOut)
    def post(self, round_id: uuid.UUID) -> dict[str, Any]:
        """Publish the round's candidate list after an allocation run (the ICD): every ranked candidate, more
        than there are places, for the round's publicity_days official working days ("blocked" with the reason
        while the calendar does not know the year)."""
        identity = _office()
        now, zone = _now_zone()
        with ctx().sessions() as session, session.begin():
            notice = list_publicity.publish(session, str(round_id), identity.username, now, zone)
            return shown(session, notice, identity)

    @blp.response(200, NoticeOut)
    def get(self, round_id: uuid.UUID) -> dict[str, Any]:
        """The published list and its period (any signed-in member of the university); a blocked list, not public
        yet (`findable` hides it too), only to the office: to anyone else it is not published."""
        identity = current_identity()
        with ctx().sessions() as session:
            one_snapshot(session)  # the notice and its objections as of one moment
            notice = list_publicity.notice_of(session, str(round_id))
            if notice.status == "blocked" and not access.is_office(identity):
                raise PlacementError("The candidate list of this round has not been published.", status=404)
            return shown(session, notice, identity)


@blp.route("/<uuid:round_id>/publicity/objections", parameters=[ROUND])
class Objections(MethodView):
    @blp.arguments(ObjectionIn)
    @blp.response(201, ObjectionOut)
    def post(self, body: dict[str, Any], round_id: uuid.UUID) -> dict[str, Any]:
        """Object to the list while its period runs (any signed-in member of the university): the period
        pauses until the ICD decides."""
        identity = current_identity()
        now, zone = _now_zone()
        about = str(body["application_id"]) if body["application_id"] else None
        with ctx().sessions() as session, session.begin():
            objection = list_publicity.lodge(session, str(round_id), identity.username,
                                             identity.name or identity.username, body["text"], about, now, zone)
            return _objection(objection)


@blp.route("/<uuid:round_id>/publicity/objections/<uuid:objection_id>/decision", parameters=[ROUND, OBJECTION])
class Decision(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, ObjectionOut)
    def post(self, body: dict[str, Any], round_id: uuid.UUID, objection_id: uuid.UUID) -> dict[str, Any]:
        """Decide an open objection (the ICD): dismiss (the period resumes with the days it had left) or uphold
        with a comment (the candidate leaves the round, the allocation re-runs, the list is republished for the
        rest of the period)."""
        identity = _office()
        now, zone = _now_zone()
        about = str(body["application_id"]) if body["application_id"] else None
        with ctx().sessions() as session, session.begin():
            objection = list_publicity.decide(session, str(round_id), str(objection_id), identity.username,
                                              body["outcome"], body["comment"], about, now, zone)
            return _objection(objection)
