"""/api/v1/offers: the places offered to students and their answers. A student reads their own offers (the
default; `?mine=1` says so explicitly) and answers them (accept, decline) with the version they read, before the
deadline; staff read a round's offers (`?round_id=`; a school's coordinator or dean those of their school's
students). A decline re-runs the allocation at once (offer_changes.answer), so the place goes to the next on the
partner's waiting list; in a closed round an open offer is still answered, and its decline re-runs nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.placements import access, offer_changes
from services.placements.errors import PlacementError
from services.placements.models import Candidate, Offer, Program
from services.placements.rounds_schemas import OfferAnswerIn, OfferList, OfferOut, OffersQuery

blp = Blueprint("offers_api", __name__, url_prefix="/api/v1/offers", description="Offers of places")
OFFER = {"in": "path", "name": "offer_id", "schema": {"type": "string", "format": "uuid"}}


def _shown(offer: Offer, candidate: Candidate | None, program: Program | None) -> dict[str, Any]:
    return {"id": offer.id, "round_id": offer.round_id, "program_id": candidate.program_id if candidate else None,
            "program_name": program.name if program else "", "application_id": offer.application_id,
            "applicant": candidate.applicant if candidate else "",
            "applicant_name": candidate.applicant_name if candidate else "",
            "school": candidate.school if candidate else None, "partner_id": offer.partner_id,
            "partner_name": offer.partner_name, "status": offer.status, "deadline": offer.deadline,
            "made_at": offer.made_at, "answered_at": offer.answered_at, "version": offer.version}


def _listed(session: Session, rows: list[tuple[Offer, Candidate]]) -> dict[str, Any]:
    programs = {p.program_id: p for p in session.scalars(select(Program).where(
        Program.program_id.in_({c.program_id for _, c in rows})))} if rows else {}
    return {"items": [_shown(o, c, programs.get(c.program_id)) for o, c in rows]}


@blp.route("")
class Offers(MethodView):
    @blp.arguments(OffersQuery, location="query")
    @blp.response(200, OfferList)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The caller's own offers, newest first (also with `mine=1`); `round_id`: a round's offers (staff)."""
        identity = current_identity()
        statement = select(Offer, Candidate).join(Candidate, Candidate.application_id == Offer.application_id)
        if query["round_id"] and not query["mine"]:
            if not access.is_staff(identity):
                abort(403, message="Only staff read a round's offers; a student reads their own with mine=1.")
            statement = statement.where(Offer.round_id == str(query["round_id"]))
            if not access.is_office(identity) and not any(r.get("role") == "vice_president" for r in identity.roles):
                schools = {str(r["school"]) for r in identity.roles
                           if r.get("role") in access.SCHOOL_STAFF and r.get("school")}
                statement = statement.where(Candidate.school.in_(schools))
        else:  # without a round, the only offers a caller has are their own: no request is left without an answer
            statement = statement.where(Candidate.applicant == identity.username)
        with ctx().sessions() as session:
            rows = [(o, c) for o, c in session.execute(statement.order_by(Offer.made_at.desc(), Offer.id))]
            return _listed(session, rows)


def _answer(offer_id: uuid.UUID, body: dict[str, Any], accept: bool) -> dict[str, Any]:
    identity = current_identity()
    with ctx().sessions() as session:
        try:
            with session.begin():
                offer = offer_changes.answer(session, str(offer_id), identity.username, body["version"], accept,
                                         datetime.now(UTC))
                answered = offer.id
        except PlacementError as exc:
            if exc.status in (403, 404):  # problem+json with the chassis's own titles
                abort(exc.status, message=str(exc))
            raise
        with session.begin():
            offer = session.get(Offer, answered)
            candidate = session.get(Candidate, offer.application_id)
            return _shown(offer, candidate, session.get(Program, candidate.program_id) if candidate else None)


@blp.route("/<uuid:offer_id>/accept", parameters=[OFFER])
class Accept(MethodView):
    @blp.arguments(OfferAnswerIn)
    @blp.response(200, OfferOut)
    def post(self, body: dict[str, Any], offer_id: uuid.UUID) -> dict[str, Any]:
        """Accept the place (the offer's student only, before its deadline): it is theirs in every later run."""
        return _answer(offer_id, body, True)


@blp.route("/<uuid:offer_id>/decline", parameters=[OFFER])
class Decline(MethodView):
    @blp.arguments(OfferAnswerIn)
    @blp.response(200, OfferOut)
    def post(self, body: dict[str, Any], offer_id: uuid.UUID) -> dict[str, Any]:
        """Decline the place (the offer's student only, before its deadline): the student leaves the round and
        the allocation re-runs (unless the round is closed), offering the place to the next on the partner's
        waiting list."""
        return _answer(offer_id, body, False)
