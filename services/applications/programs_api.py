"""HTTP resources for partners and programs with their application windows (/api/v1/partners, /programs).

Everyone signed in can read them; the ICD and admins manage them: create, and edit (PATCH) with the same checks.
Every change to a program (a partner's rename too: the program names it) is announced as program.saved in the
same transaction (program_events.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from services.applications import access, program_events
from services.applications.models import Partner, Program
from services.applications.programs_schemas import PartnerPatch
from services.applications.schemas import PartnerIn, PartnerOut, ProgramIn, ProgramOut, ProgramPatch, ProgramQuery

blp = Blueprint("programs", __name__, url_prefix="/api/v1", description="Partners and programs")


def _manager() -> None:
    if not access.can_manage_programs(current_identity()):
        abort(403, message="Only the International Cooperation Department manages partners and programs.")


def _out(program: Program, now: datetime) -> dict[str, Any]:
    return {
        "id": program.id, "code": program.code, "name": program.name, "kind": program.kind, "seats": program.seats,
        "opens_at": program.opens_at, "closes_at": program.closes_at,
        "is_open": program.opens_at <= now < program.closes_at, "partners": program.partners,
    }


def _partners(session: Session, ids: list[str]) -> list[Partner]:
    found = list(session.scalars(select(Partner).where(Partner.id.in_(ids))))
    if len(found) != len(set(ids)):
        abort(422, message="Unknown partner.", errors={"partner_ids": ["Every id must name a known partner."]})
    return found


def _window(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        abort(422, message="The window closes before it opens.", errors={"closes_at": ["Must be after opens_at."]})


@blp.route("/partners")
class Partners(MethodView):
    @blp.response(200, PartnerOut(many=True))
    def get(self) -> list[Partner]:
        with ctx().sessions() as session:
            return list(session.scalars(select(Partner).order_by(Partner.name)))

    @blp.arguments(PartnerIn)
    @blp.response(201, PartnerOut)
    def post(self, body: dict[str, Any]) -> Partner:
        _manager()
        partner = Partner(id=str(uuid.uuid4()), **body)
        try:
            with ctx().sessions() as session, session.begin():
                session.add(partner)
        except IntegrityError:
            abort(409, message=f"A partner named '{body['name']}' exists already.")
        return partner


@blp.route("/partners/<uuid:partner_id>")
class PartnerItem(MethodView):
    @blp.arguments(PartnerPatch)
    @blp.response(200, PartnerOut)
    def patch(self, body: dict[str, Any], partner_id: str) -> Partner:
        """Rename a partner or correct its country or region (the programs that name it follow)."""
        _manager()
        try:
            with ctx().sessions() as session, session.begin():
                partner = session.get(Partner, str(partner_id), with_for_update=True)
                if partner is None:
                    abort(404, message="No such partner.")
                for name, value in body.items():
                    setattr(partner, name, value)
                session.flush()
                # The programs that name the partner carry its name, country and region in their copies
                naming = session.scalars(select(Program).where(Program.partners.contains(partner))
                                         .with_for_update(of=Program))
                for program in naming:
                    program_events.changed(session, program, correlationid=correlation_id())
                return partner
        except IntegrityError:
            abort(409, message=f"A partner named '{body.get('name')}' exists already.")
            raise


@blp.route("/programs")
class Programs(MethodView):
    @blp.arguments(ProgramQuery, location="query")
    @blp.response(200, ProgramOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Programs with their partners, seats and window; `open=true` for those accepting applications now."""
        now = datetime.now(UTC)
        query = select(Program).order_by(Program.closes_at, Program.name)
        if args.get("open"):
            query = query.where(Program.opens_at <= now, Program.closes_at > now)
        with ctx().sessions() as session:
            return [_out(p, now) for p in session.scalars(query)]

    @blp.arguments(ProgramIn)
    @blp.response(201, ProgramOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        _manager()
        _window(body["opens_at"], body["closes_at"])
        try:
            with ctx().sessions() as session, session.begin():
                partners = _partners(session, body.pop("partner_ids"))
                program = Program(id=str(uuid.uuid4()), partners=partners, revision=1, **body)
                session.add(program)
                session.flush()
                program_events.announce(session, program, correlationid=correlation_id())
                return _out(program, datetime.now(UTC))
        except IntegrityError:
            abort(409, message=f"A program with code '{body['code']}' exists already.")
            raise


@blp.route("/programs/<uuid:program_id>")
class ProgramItem(MethodView):
    @blp.response(200, ProgramOut)
    def get(self, program_id: str) -> dict[str, Any]:
        with ctx().sessions() as session:
            program = session.get(Program, str(program_id))
            if program is None:
                abort(404, message="No such program.")
            return _out(program, datetime.now(UTC))

    @blp.arguments(ProgramPatch)
    @blp.response(200, ProgramOut)
    def patch(self, body: dict[str, Any], program_id: str) -> dict[str, Any]:
        _manager()
        with ctx().sessions() as session, session.begin():
            program = session.get(Program, str(program_id), with_for_update=True)
            if program is None:
                abort(404, message="No such program.")
            if "partner_ids" in body:
                program.partners = _partners(session, body.pop("partner_ids"))
            for name, value in body.items():
                setattr(program, name, value)
            _window(program.opens_at, program.closes_at)
            program_events.changed(session, program, correlationid=correlation_id())
            return _out(program, datetime.now(UTC))
