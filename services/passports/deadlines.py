"""The sweep over passports out on loan: a reminder before the due date (once per due date), an overdue notice after
it (once per due date) with a hold on the holder's new applications, and, past the office's second threshold
where it switched school holds on, a hold on the holder's school. The holds end with the return (custody_api), or
here when the due date moved back into the future, the school switch went off, or the passport is no longer out.

`check(session, now, zone)` takes the clock as an argument (tests move it); the worker runs it periodically.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.passports import custody
from services.passports.events import announce, hold_event, hold_school
from services.passports.models import Loan, Passport, PassportSettings, Trip


def _locked(session: Session, query):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(of=Loan, skip_locked=True)  # two workers never notify twice
    return query


def clear_holds(session: Session, loan: Loan, passport: Passport, trip: Trip | None, correlationid: str | None,
                scopes: tuple[str, ...] = ("person", "school")) -> int:
    """End the loan's open holds of `scopes` (passport.hold_cleared each); a hold may be placed again later."""
    cleared = 0
    for scope, attribute in (("person", "person_hold_id"), ("school", "school_hold_id")):
        hold_id = getattr(loan, attribute)
        if scope in scopes and hold_id is not None:
            hold_event(session, "passport.hold_cleared", hold_id, scope, passport, loan, trip, correlationid)
            setattr(loan, attribute, None)
            cleared += 1
    return cleared


def _hold(session: Session, loan: Loan, scope: str, passport: Passport, trip: Trip | None) -> int:
    attribute = f"{scope}_hold_id"
    if getattr(loan, attribute) is not None:
        return 0  # one open hold per loan and scope; the sweep holds the loan's row, so two never race
    hold_id = str(uuid.uuid4())
    setattr(loan, attribute, hold_id)
    hold_event(session, "passport.hold_placed", hold_id, scope, passport, loan, trip, None)
    return 1


def _loan(session: Session, loan: Loan, rules: PassportSettings, today: date) -> dict[str, int]:
    done = {"due_soon": 0, "overdue": 0, "holds": 0, "cleared": 0}
    passport = session.get(Passport, loan.passport_id)
    trip = session.get(Trip, loan.mobility_id)
    if passport is None:
        return done
    if passport.status != "handed_out":  # lost while out, say: nothing is owed back any more
        done["cleared"] = clear_holds(session, loan, passport, trip, None)
        return done
    late = (today - loan.due_on).days
    if late > 0:
        if loan.overdue_notified_on != loan.due_on:
            loan.overdue_notified_on = loan.due_on
            announce(session, "passport.overdue", passport, loan, trip, today, None)
            done["overdue"] = 1
        done["holds"] += _hold(session, loan, "person", passport, trip)
        if rules.school_hold and late > rules.school_hold_after_days and hold_school(passport, trip):
            done["holds"] += _hold(session, loan, "school", passport, trip)
        elif not rules.school_hold:
            done["cleared"] += clear_holds(session, loan, passport, trip, None, ("school",))
        return done
    # not (or no longer: its trip's news moved the date) overdue
    done["cleared"] = clear_holds(session, loan, passport, trip, None)
    if today >= loan.due_on - timedelta(days=rules.remind_days_before) and loan.reminded_on != loan.due_on:
        loan.reminded_on = loan.due_on
        announce(session, "passport.due_soon", passport, loan, trip, today, None)
        done["due_soon"] = 1
    return done


def check(session: Session, now: datetime, zone: str = "Asia/Shanghai") -> dict[str, int]:
    """One sweep; returns what it did: reminders, overdue notices, holds placed, holds cleared."""
    today = now.astimezone(ZoneInfo(zone)).date()
    rules = custody.rules(session)
    totals = {"due_soon": 0, "overdue": 0, "holds": 0, "cleared": 0}
    open_loans = _locked(session, select(Loan).where(Loan.returned_on.is_(None)).order_by(Loan.due_on, Loan.id))
    for loan in session.scalars(open_loans).all():
        for key, value in _loan(session, loan, rules, today).items():
            totals[key] += value
    return totals

