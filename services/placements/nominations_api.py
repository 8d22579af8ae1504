"""/api/v1/nominations: the ICD nominates students who accepted their offer to the partner of that offer, records
a partner's answer given to the office, or cancels a nomination; staff read a round's nominations, a student
their own. The rules are in nominations.py; the partner's own way in, the signed link, is partner_api.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis import uploads
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.placements import access, nominations, partner_api, partner_links
from services.placements.errors import PlacementError
from services.placements.models import Candidate, Nomination
from services.placements.nominations_schemas import (
    CancelIn,
    NominationAnswerIn,
    NominationIn,
    NominationList,
    NominationOut,
    NominationQuery,
)

blp = Blueprint("nominations_api", __name__, url_prefix="/api/v1/nominations", description="Nominations to partners")
NOMINATION = {"in": "path", "name": "nomination_id", "schema": {"type": "string", "format": "uuid"}}


def _may_nominate() -> None:
    if not access.is_office(current_identity()):
        abort(403, message="Only the ICD and admins nominate students and record partners' answers.")


def _readable(session: Session, nomination_id: str) -> Nomination:
    """The nomination if this reader may see it: the office, staff of its student's school, the student."""
    identity = current_identity()
    nomination = session.get(Nomination, nomination_id)
    candidate = session.get(Candidate, nomination.application_id) if nomination else None
    school = candidate.school if candidate else None
    if nomination is None or not (access.sees_school(identity, school) or (
            candidate is not None and candidate.applicant == identity.username)):
        raise PlacementError("No such nomination.", status=404)
    return nomination


def _seen_version(body: dict[str, Any]) -> int | None:
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    return int(header) if header.isdigit() else body.get("version")


def _etag(shown: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{shown["version"]}"'}


@blp.route("")
class Nominations(MethodView):
    @blp.arguments(NominationQuery, location="query")
    @blp.response(200, NominationList)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """A round's nominations (staff; a school's coordinator or dean, those of their school's students)."""
        identity = current_identity()
        if not access.is_staff(identity):
            abort(403, message="Only staff read a round's nominations.")
        schools = access.schools_seen(identity)
        with ctx().sessions() as session:
            chosen = select(Nomination).where(Nomination.round_id == str(query["round_id"]))
            if schools is not None:
                chosen = chosen.join(Candidate, Candidate.application_id == Nomination.application_id).where(
                    Candidate.school.in_(schools))
            rows = session.scalars(chosen.order_by(Nomination.nominated_at, Nomination.id))
            return {"items": [nominations.data(session, n) for n in rows]}

    @blp.arguments(NominationIn)
    @blp.response(201, NominationOut)
    @blp.alt_response(409, description="no accepted offer, or already nominated")
    def post(self, body: dict[str, Any]) -> Any:
        """Nominate a student who accepted their offer to that offer's partner; the partner's contact is sent a
        signed link to answer (nomination.link_issued, to notifications)."""
        _may_nominate()
        days = partner_links.link_days(ctx().settings)
        with ctx().sessions() as session, session.begin():
            nomination = nominations.nominate(session, str(body["round_id"]), str(body["application_id"]),
                                              current_identity().username, datetime.now(UTC), days)
            shown = nominations.data(session, nomination)
            return shown, _etag(shown)


@blp.route("/<uuid:nomination_id>", parameters=[NOMINATION])
class OneNomination(MethodView):
    @blp.response(200, NominationOut)
    def get(self, nomination_id: uuid.UUID) -> Any:
        """One nomination: the office, its student's school staff, or the student it names (anyone else: 404,
        nothing to learn)."""
        with ctx().sessions() as session:
            nomination = _readable(session, str(nomination_id))
            shown = nominations.data(session, nomination)
            return shown, _etag(shown)


@blp.route("/<uuid:nomination_id>/letter", parameters=[NOMINATION])
class Letter(MethodView):
    @blp.response(200, description="the partner's acceptance letter, as an attachment")
    def get(self, nomination_id: uuid.UUID) -> Any:
        """The partner's acceptance letter (PDF) as an attachment: the office, the student's school staff, the
        student. Public events only say `has_letter`."""
        with ctx().sessions() as session:
            nomination = _readable(session, str(nomination_id))
            letter = nomination.letter
        if not letter:
            raise PlacementError("This nomination has no acceptance letter.", status=404)
        return uploads.attachment(partner_api.directory(), letter["file_id"], letter["content_type"],
                                  letter["filename"], "The acceptance letter's file is missing: tell the ICD.")


@blp.route("/<uuid:nomination_id>/answer", parameters=[NOMINATION])
class Answer(MethodView):
    @blp.arguments(NominationAnswerIn)
    @blp.response(200, NominationOut)
    def post(self, body: dict[str, Any], nomination_id: uuid.UUID) -> Any:
        """The ICD records the partner's answer given to the office (approve or reject), naming the version seen.
        A rejection gives the place back and re-runs the allocation."""
        _may_nominate()
        seen = _seen_version(body)
        if seen is None:
            raise PlacementError("Name the version you saw: an If-Match header or a \"version\" field.")
        with ctx().sessions() as session, session.begin():
            nomination = nominations.answer_by_office(session, str(nomination_id), body["decision"] == "approve",
                                                      body.get("comment"), current_identity().username, seen,
                                                      datetime.now(UTC))
            shown = nominations.data(session, nomination)
            return shown, _etag(shown)


@blp.route("/<uuid:nomination_id>/cancel", parameters=[NOMINATION])
class Cancel(MethodView):
    @blp.arguments(CancelIn)
    @blp.response(200, NominationOut)
    def post(self, body: dict[str, Any], nomination_id: uuid.UUID) -> Any:
        """The ICD cancels a nomination still waiting for the partner (its link stops working)."""
        _may_nominate()
        with ctx().sessions() as session, session.begin():
            nomination = nominations.cancel(session, str(nomination_id), current_identity().username,
                                            _seen_version(body), datetime.now(UTC))
            shown = nominations.data(session, nomination)
            return shown, _etag(shown)
