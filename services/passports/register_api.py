"""HTTP resources of the register (behind the gateway at /api/v1/passports): the list in the caller's scope, one
passport with its loans and handovers, the clerk's entry and changes, and the clerk's look at a whole number.

Object-level checks are access.py's: a passport the caller may not read is "not found"; a clerk-only act on one
they may read is 403. Numbers are shown masked everywhere but in POST /number-views, which is audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from flask import request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.db import one_snapshot
from services.passports import access, audit, crypto, custody, register
from services.passports.errors import PassportError
from services.passports.models import Passport
from services.passports.schemas import NumberOut, PassportDetail, PassportIn, PassportList, PassportPatch, PassportQuery

blp = Blueprint("register_api", __name__, url_prefix="/api/v1/passports",
                description="The register of official passports and permits in the office's custody")
PASSPORT = {"in": "path", "name": "passport_id", "schema": {"type": "string", "format": "uuid"}}


def load(session: Session, passport_id: Any, lock: bool = False) -> Passport:
    """The passport, if the caller may read it; 404 otherwise (the register does not say who holds one)."""
    passport = session.get(Passport, str(passport_id), with_for_update=lock or None)
    if passport is None or not access.can_read(current_identity(), passport):
        abort(404, message="No such passport.")
    return passport


def load_for_clerk(session: Session, passport_id: Any, lock: bool = True,
                   refusal: str = "Only the passport clerk does this.") -> Passport:
    """The passport for the clerk's act on it: "not found" to who may not read it, `refusal` (403) to who may."""
    passport = load(session, passport_id, lock=lock)
    if not access.is_clerk(current_identity()):
        abort(403, message=refusal)
    return passport


def clerk_only() -> None:
    if not access.is_clerk(current_identity()):
        abort(403, message="Only the passport clerk does this.")


def shown(session: Session, passport: Passport) -> dict[str, Any]:
    """One passport for the caller: the clerk also gets the holder's trips to choose a hand-out from."""
    on = register.today()
    trips: list[dict[str, Any]] = []
    if access.is_clerk(current_identity()):
        trips = custody.eligible_trips(session, passport, on)
    return register.detail(session, passport, on, trips)


def seen_version(body: dict[str, Any]) -> int | None:
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if header.isdigit():
        return int(header)
    return body.get("version")


def etag(passport: Passport) -> dict[str, str]:
    return {"ETag": f'"{passport.version}"'}


@blp.route("")
class Passports(MethodView):
    @blp.arguments(PassportQuery, location="query")
    @blp.response(200, PassportList)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The passports the caller may read (a holder's own; a school's for its reviewers; all for the clerk,
        the ICD, the vice president and admins), masked, by holder."""
        statement = select(Passport).order_by(Passport.holder_name, Passport.staff_number, Passport.type,
                                              Passport.id).limit(1000)
        where = register.scope_filter(current_identity())
        if where is not None:
            statement = statement.where(where)
        for clause in register.filters(query, register.today()):
            statement = statement.where(clause)
        with ctx().sessions() as session:
            return {"items": register.items(session, list(session.scalars(statement)), register.today())}

    @blp.arguments(PassportIn)
    @blp.response(201, PassportDetail)
    @blp.alt_response(409, description="this type's number is already in the register")
    def post(self, body: dict[str, Any]) -> Any:
        """Enter a passport (the clerk). The number is normalised (upper case, no spaces or hyphens) and sealed;
        only its last 4 characters are stored readable."""
        clerk_only()
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            passport = register.create(session, register.keyring(), current_identity().username, body, now,
                                       register.today())
            session.flush()
            return shown(session, passport), etag(passport)


@blp.route("/<uuid:passport_id>", parameters=[PASSPORT])
class OnePassport(MethodView):
    @blp.response(200, PassportDetail)
    def get(self, passport_id: uuid.UUID) -> Any:
        with ctx().sessions() as session:
            one_snapshot(session)  # the passport, its trips and loans as of one moment
            passport = load(session, passport_id)
            return shown(session, passport), etag(passport)

    @blp.arguments(PassportPatch)
    @blp.response(200, PassportDetail)
    @blp.alt_response(409, description="a stale version, or a status change its loan does not allow")
    def patch(self, body: dict[str, Any], passport_id: uuid.UUID) -> Any:
        """Change where it is kept, its status (not handed_out: that is a hand-out), dates, holder's account,
        school or note (the clerk), naming the version seen (If-Match or `version`)."""
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            passport = load_for_clerk(session, passport_id)
            seen = seen_version(body)
            if seen is None:
                raise PassportError("Name the version you saw: an If-Match header or a \"version\" field.")
            if seen != passport.version:
                raise PassportError(f"The passport changed since you saw it (you saw version {seen}, it is now "
                                    f"version {passport.version}); reload it and try again.")
            body.pop("version", None)
            register.patch(session, passport, body, current_identity().username, now)
            session.flush()
            return shown(session, passport), etag(passport)


@blp.route("/<uuid:passport_id>/number-views", parameters=[PASSPORT])
class NumberViews(MethodView):
    @blp.response(200, NumberOut)
    def post(self, passport_id: uuid.UUID) -> Any:
        """The whole number (the clerk only): each look is written to the audit log; never cached."""
        with ctx().sessions() as session, session.begin():
            passport = load_for_clerk(session, passport_id, lock=False)
            try:
                number = register.number_of(register.keyring(), passport)
            except crypto.KeyMissing:
                raise PassportError("This number's key is no longer in the keyring: it cannot be read.") from None
            except InvalidTag:  # its key does not open it: a changed row, or a key line replaced under its id
                raise PassportError("This number cannot be opened with its key: it cannot be read.") from None
            audit.record(session, current_identity().username, "viewed_number", passport.id)
        return {"number": number}, {"Cache-Control": "no-store", "Pragma": "no-cache"}
