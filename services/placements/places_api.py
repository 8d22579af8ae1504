"""/api/v1/places: how many students of a program each partner takes. Staff read them; the ICD and admins set one
by hand (source "office") or recount them from the agreements (source "agreement", places.py's rules), which keeps
the office's numbers unless asked to replace them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.placements import access, places, rounds
from services.placements.errors import PlacementError
from services.placements.models import Agreement, AgreementTerm, Place, Program
from services.placements.places_schemas import PlaceIn, PlaceList, PlacesQuery, RecountQuery

blp = Blueprint("places_api", __name__, url_prefix="/api/v1/places", description="Places at partners per program")
PROGRAM = {"in": "path", "name": "program_id", "schema": {"type": "string", "format": "uuid"}}
PARTNER = {"in": "path", "name": "partner_id", "schema": {"type": "string", "format": "uuid"}}


def _may_read() -> None:
    if not access.can_read_places(current_identity()):
        abort(403, message="Only staff read the places at partners.")


def _may_write() -> None:
    if not access.can_write_places(current_identity()):
        abort(403, message="Only the ICD and admins set the places at partners.")


def _program(session: Session, program_id: Any) -> Program:
    program = session.get(Program, str(program_id))
    if program is None:
        abort(404, message="No such program here (the placements service has not heard of it).")
    return program


def _listed(session: Session, program: Program, kept: list[str] | None = None) -> dict[str, Any]:
    rows = {p.partner_id: p for p in session.scalars(select(Place).where(Place.program_id == program.program_id))}
    items = []
    for partner in program.partners:
        row = rows.get(partner["partner_id"])
        items.append({"partner_id": partner["partner_id"], "partner_name": partner.get("name") or "",
                      "country": partner.get("country"), "places": row.places if row else None,
                      "source": row.source if row else None, "agreement_id": row.agreement_id if row else None,
                      "set_by": row.set_by if row else None, "updated_at": row.updated_at if row else None})
    shown: dict[str, Any] = {"program_id": program.program_id, "program_name": program.name, "items": items}
    if kept is not None:
        shown["kept"] = kept
    return shown


def _selection_day(program: Program) -> date:
    """The office's calendar day the program's window closes (today when it names none)."""
    zone = ZoneInfo(ctx().settings.timezone)
    return (program.closes_at or datetime.now(UTC)).astimezone(zone).date()


@blp.route("")
class Places(MethodView):
    @blp.arguments(PlacesQuery, location="query")
    @blp.response(200, PlaceList)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The program's partners with their places (null: not set yet) and where each number came from."""
        _may_read()
        with ctx().sessions() as session:
            return _listed(session, _program(session, query["program_id"]))


@blp.route("/<uuid:program_id>/<uuid:partner_id>", parameters=[PROGRAM, PARTNER])
class OnePlace(MethodView):
    @blp.arguments(PlaceIn)
    @blp.response(200, PlaceList)
    def put(self, body: dict[str, Any], program_id: uuid.UUID, partner_id: uuid.UUID) -> dict[str, Any]:
        """Set a partner's places by hand (source "office"): a recount from the agreements keeps it."""
        _may_write()
        with ctx().sessions() as session, session.begin():
            program = _program(session, program_id)
            partner = next((p for p in program.partners if p["partner_id"] == str(partner_id)), None)
            if partner is None:
                raise PlacementError("This partner is not one of the program's partners.", status=422)
            row = session.get(Place, (program.program_id, partner["partner_id"]), with_for_update=True)
            if row is None:
                row = Place(program_id=program.program_id, partner_id=partner["partner_id"])
                session.add(row)
            row.partner_name, row.places, row.source, row.agreement_id = (partner.get("name") or "", body["places"],
                                                                         "office", None)
            row.set_by, row.updated_at = current_identity().username, datetime.now(UTC)
            session.flush()
            return _listed(session, program)


@blp.route("/<uuid:program_id>/from-agreements", parameters=[PROGRAM])
class FromAgreements(MethodView):
    @blp.arguments(RecountQuery, location="query")
    @blp.response(200, PlaceList)
    def post(self, query: dict[str, Any], program_id: uuid.UUID) -> dict[str, Any]:
        """Count each partner's places from its signed agreements valid when the program's window closes (their
        outgoing student_studies terms holding for the selection's academic year); numbers the office set by hand
        are kept unless `replace=true`."""
        _may_write()
        with ctx().sessions() as session, session.begin():
            program = _program(session, program_id)
            partner_ids = [p["partner_id"] for p in program.partners]
            agreements = list(session.scalars(select(Agreement).where(Agreement.partner_id.in_(partner_ids))))
            terms: dict[str, list[AgreementTerm]] = {a.id: [] for a in agreements}
            if agreements:
                for term in session.scalars(select(AgreementTerm).where(AgreementTerm.agreement_id.in_(list(terms)))):
                    terms[term.agreement_id].append(term)
            # the selection's academic year, as its runs name it: a term limited to other years does not count
            year = rounds.academic_year(program, rounds.candidates_of(session, program.program_id))
            counts = places.count(partner_ids, [(a, terms[a.id]) for a in agreements], _selection_day(program),
                                  year=year)
            existing = {p.partner_id: p for p in session.scalars(
                select(Place).where(Place.program_id == program.program_id).with_for_update())}
            now, who, kept = datetime.now(UTC), current_identity().username, []
            for partner in program.partners:
                row = existing.get(partner["partner_id"])
                if places.kept(row, query["replace"]):
                    kept.append(partner["partner_id"])
                    continue
                if row is None:
                    row = Place(program_id=program.program_id, partner_id=partner["partner_id"])
                    session.add(row)
                counted = counts[partner["partner_id"]]
                row.partner_name, row.places, row.source = partner.get("name") or "", counted.places, "agreement"
                row.agreement_id, row.set_by, row.updated_at = counted.agreement_id, who, now
            session.flush()
            return _listed(session, program, kept)
