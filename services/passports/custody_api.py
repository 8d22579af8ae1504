"""HTTP resources for custody (behind the gateway at /api/v1/passports/{id}/...): the clerk hands a passport out
for one of its holder's approved trips and takes it back; each handover is appended, audited and announced. The
hand-out slip is a PDF for the clerk, an admin and the holder.

A passport the caller may not read is "not found"; one they may read but not act on is 403. Refusals are 409
problems in words (custody.py says why).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from services.passports import access, audit, custody, register, register_api, slip
from services.passports.custody_schemas import HandoutIn, LoanOut, ReturnIn, SlipQuery
from services.passports.deadlines import clear_holds
from services.passports.errors import PassportError
from services.passports.events import announce
from services.passports.models import Handover, Loan, Passport, Trip

blp = Blueprint("custody", __name__, url_prefix="/api/v1", description="Passports handed out and taken back")
PASSPORT = {"in": "path", "name": "passport_id", "schema": {"type": "string", "format": "uuid"}}
PDF_RESPONSE = {"200": {"description": "the hand-out slip as a PDF (its font embedded)",
                        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


def load_for_clerk(session: Session, passport_id: Any) -> Passport:
    """The passport, locked, for the clerk's hand-out or return (404 / 403 as register_api.load_for_clerk)."""
    return register_api.load_for_clerk(
        session, passport_id, refusal="Only the passport clerk hands passports out and takes them back.")


def _on(requested: date | None, now: date) -> date:
    if requested is not None and requested > now:
        raise PassportError("The day cannot be one still to come.", 422,
                            errors=[{"field": "on", "message": "not later than today"}])
    return requested or now


@blp.route("/passports/<uuid:passport_id>/handouts", parameters=[PASSPORT])
class Handouts(MethodView):
    @blp.arguments(HandoutIn)
    @blp.response(201, LoanOut)
    def post(self, body: dict[str, Any], passport_id: uuid.UUID) -> dict[str, Any]:
        """Hand the passport out for one of its holder's approved trips (409 in words when it may not go out)."""
        clerk, now, day = current_identity().username, datetime.now(UTC), register.today()
        clerk_name = audit.name_of(clerk)
        with ctx().sessions() as session, session.begin():
            passport = load_for_clerk(session, passport_id)
            on = _on(body["on"], day)
            trip = session.get(Trip, str(body["mobility_id"]), with_for_update=True)  # its news waits for this
            rules = custody.rules(session)
            refusal = custody.why_not(passport, trip, on, rules)
            if refusal is not None or trip is None:
                raise PassportError(refusal or "No such trip.")
            due = custody.due_on(trip, rules)
            assert due is not None  # why_not refuses a trip without dates
            person = body["handed_to"] or passport.holder_name
            loan = Loan(id=str(uuid.uuid4()), passport_id=passport.id, mobility_id=trip.mobility_id,
                        handed_out_on=on, handed_out_at=now, handed_out_by=clerk, handed_out_by_name=clerk_name,
                        handed_to=person, due_on=due)
            session.add(loan)
            session.add(Handover(id=str(uuid.uuid4()), passport_id=passport.id, loan_id=loan.id, action="handed_out",
                                 at=now, on=on, by=clerk, by_name=clerk_name, person=person,
                                 mobility_id=trip.mobility_id))
            passport.status, passport.version, passport.updated_at = "handed_out", passport.version + 1, now
            audit.record(session, clerk, "handed_out", passport.id, loan_id=loan.id, mobility_id=trip.mobility_id,
                         on=on.isoformat(), due_on=due.isoformat(), handed_to=person)
            session.flush()
            announce(session, "passport.handed_out", passport, loan, trip, day, correlation_id())
            return custody.loan_shown(loan, trip.title, day)


@blp.route("/passports/<uuid:passport_id>/returns", parameters=[PASSPORT])
class Returns(MethodView):
    @blp.arguments(ReturnIn)
    @blp.response(200, LoanOut)
    def post(self, body: dict[str, Any], passport_id: uuid.UUID) -> dict[str, Any]:
        """Take the passport back: its open loan closes and any hold it caused is cleared."""
        clerk, now, day = current_identity().username, datetime.now(UTC), register.today()
        clerk_name = audit.name_of(clerk)
        with ctx().sessions() as session, session.begin():
            passport = load_for_clerk(session, passport_id)
            on = _on(body["on"], day)
            loan = register.open_loan(session, passport.id, lock=True)
            refusal = custody.return_refusal(loan, on, day)
            if refusal is not None or loan is None:
                raise PassportError(refusal or "This passport is not out on loan.")
            trip = session.get(Trip, loan.mobility_id)
            person = body["received_from"] or passport.holder_name
            loan.returned_on, loan.returned_at, loan.returned_by, loan.received_from = on, now, clerk, person
            loan.returned_by_name = clerk_name
            session.add(Handover(id=str(uuid.uuid4()), passport_id=passport.id, loan_id=loan.id, action="returned",
                                 at=now, on=on, by=clerk, by_name=clerk_name, person=person,
                                 mobility_id=loan.mobility_id))
            passport.status, passport.version, passport.updated_at = "in_custody", passport.version + 1, now
            audit.record(session, clerk, "returned", passport.id, loan_id=loan.id, mobility_id=loan.mobility_id,
                         on=on.isoformat(), received_from=person, overdue_days=custody.overdue_days(loan, day))
            clear_holds(session, loan, passport, trip, correlation_id())
            session.flush()
            announce(session, "passport.returned", passport, loan, trip, day, correlation_id())
            return custody.loan_shown(loan, trip.title if trip is not None else "", day)


@blp.route("/passports/<uuid:passport_id>/loans/<uuid:loan_id>/slip",
           parameters=[PASSPORT, {"in": "path", "name": "loan_id", "schema": {"type": "string", "format": "uuid"}}])
class Slip(MethodView):
    @blp.arguments(SlipQuery, location="query")
    @blp.doc(responses=PDF_RESPONSE)
    def get(self, query: dict[str, str], passport_id: uuid.UUID, loan_id: uuid.UUID) -> Response:
        """The hand-out slip of one loan, in Chinese (the default) or English (`lang=en`): masked number only."""
        settings = ctx().settings
        with ctx().sessions() as session:
            passport = register_api.load(session, passport_id)
            if not access.can_read_slip(current_identity(), passport):
                abort(403, message="Only the passport clerk, an administrator and the holder read hand-out slips.")
            loan = session.get(Loan, str(loan_id))
            if loan is None or loan.passport_id != passport.id:
                abort(404, message="No such loan of this passport.")
            trip = session.get(Trip, loan.mobility_id)
            body = slip.render(passport, loan, trip, language=query["lang"], font=settings.pdf_font,
                               timezone=settings.timezone)
        name = f"passport-slip-{loan.handed_out_on.isoformat()}-{query['lang']}.pdf"
        return Response(body, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff"})
