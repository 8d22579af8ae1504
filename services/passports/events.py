"""The passport.* events, built from a passport and its loan: the common fields of eventbus/schemas/_defs/passport.json
plus the loan, the holds in exactly mobility.hold_placed's data shape (so applications takes them with the same
handlers), and the expiry warning at an application's submission. All private; none ever carries a number or any
part of one (the schemas refuse `number`, `number_last4` and `number_masked`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from eventbus import envelope, outbox
from services.passports.custody import overdue_days
from services.passports.models import Loan, Passport, Trip

SOURCE = "/services/passports"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def passport_data(passport: Passport) -> dict[str, Any]:
    return {"passport_id": passport.id, "type": passport.type, "holder_name": passport.holder_name,
            "staff_number": passport.staff_number, "holder_username": passport.holder_username,
            "school": passport.school, "status": passport.status}


def loan_data(loan: Loan, trip: Trip | None, today: date) -> dict[str, Any]:
    return {"id": loan.id, "mobility_id": loan.mobility_id, "application_id": trip.application_id if trip else None,
            "title": trip.title if trip else "", "handed_out_on": loan.handed_out_on.isoformat(),
            "due_on": loan.due_on.isoformat(), "returned_on": _day(loan.returned_on),
            "overdue_days": overdue_days(loan, today)}


def announce(session: Session, event_type: str, passport: Passport, loan: Loan, trip: Trip | None, today: date,
             correlationid: str | None) -> None:
    """passport.handed_out, returned, due_soon or overdue; aggregateversion is the passport's version."""
    data = {**passport_data(passport), "loan": loan_data(loan, trip, today)}
    outbox.add(session, envelope.new_event(event_type, SOURCE, passport.id, data, correlationid=correlationid,
                                           aggregateversion=passport.version))


def hold_school(passport: Passport, trip: Trip | None) -> str | None:
    """The unit a school hold stops: the holder's school in the register, else the trip's."""
    return passport.school or (trip.school if trip is not None else None)


def hold_event(session: Session, event_type: str, hold_id: str, scope: str, passport: Passport, loan: Loan,
               trip: Trip | None, correlationid: str | None) -> None:
    """passport.hold_placed (aggregateversion 1) or passport.hold_cleared (2), subject the hold's id."""
    data = {"hold_id": hold_id, "scope": scope,
            "username": passport.holder_username if scope == "person" else None,
            "staff_number": passport.staff_number if scope == "person" else None,
            "school": hold_school(passport, trip) or "", "reason": "passport_overdue", "mobility_id": loan.mobility_id,
            "title": trip.title if trip else "", "due_on": loan.due_on.isoformat(), "clears": "passport_returned"}
    version = 1 if event_type == "passport.hold_placed" else 2
    outbox.add(session, envelope.new_event(event_type, SOURCE, hold_id, data, correlationid=correlationid,
                                           aggregateversion=version))


def expiry_warning(session: Session, passport: Passport, application: dict[str, Any], trip_end: date,
                   revision: int, correlationid: str | None) -> None:
    data = {"application_id": application["application_id"], "applicant": application["applicant"],
            "title": application.get("title") or "", "school": application.get("school"),
            "passport_id": passport.id, "holder_name": passport.holder_name, "staff_number": passport.staff_number,
            "type": passport.type, "expires_on": passport.expires_on.isoformat(), "trip_end": trip_end.isoformat()}
    outbox.add(session, envelope.new_event("passport.expiry_warning", SOURCE, passport.id, data,
                                           correlationid=correlationid, aggregateversion=revision))
