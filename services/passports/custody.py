"""The custody rules, in one place and free of I/O but for `eligible_trips`' read of the trips: when a loan is due
back, why a hand-out is refused (in words the clerk reads), how late a loan is, and when a passport expires too
soon for a trip.

A passport goes out only for a live trip (planned or departed) of its holder (matched by staff number, or by account
for a trip naming none), not before `handout_days_before` days ahead of departure, and not when it expires before
the trip ends. It is due back `return_days` after the return (the planned end while no return is recorded); a trip
cancelled or not taken makes it due the day that news came.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.passports.models import TYPES, Loan, Passport, PassportSettings, Trip

LIVE = ("planned", "departed")  # a trip a passport may go out for
MASK = "••••"
ENDED = ("cancelled", "no_show")  # a trip that will not take place: the passport is due at once
HOLDING = ("in_custody", "handed_out")  # a passport the register still counts on (expiry warnings)
EXPIRY_MARGIN_MONTHS = 6
# The passport types a trip of each staff category travels on; other trips (abroad) travel on a passport.
TYPES_FOR_CATEGORY = {"hk_macao": ("hk_macao_permit",), "taiwan": ("taiwan_permit",)}
PASSPORTS = ("official_passport", "service_passport")
TRIP_WORDS = {"cancelled": "was cancelled", "no_show": "did not take place", "returned": "is already over",
              "reported": "is already over", "closed": "is closed"}
STATUS_WORDS = {"handed_out": "is already handed out", "lost": "is recorded as lost", "expired": "has expired",
                "cancelled": "is cancelled"}


def rules(session: Session, lock: bool = False) -> PassportSettings:
    """The office's rules (one row, written by the migration); `lock` holds it until the transaction ends."""
    row = session.get(PassportSettings, 1, with_for_update=lock or None)
    if row is None:  # a database the migration did not seed: the defaults
        row = PassportSettings(id=1, handout_days_before=5, return_days=7, remind_days_before=3,
                               school_hold_after_days=30, school_hold=False)
        session.add(row)
        session.flush()
    return row


def due_on(trip: Trip, settings: PassportSettings) -> date | None:
    """When a passport out for `trip` is due back; None while the trip has no end date."""
    if trip.status in ENDED:
        return trip.ended_on
    if trip.returned_on is not None:
        return trip.returned_on + timedelta(days=settings.return_days)
    if trip.planned_end is not None:
        return trip.planned_end + timedelta(days=settings.return_days)
    return None


def trip_end(trip: Trip) -> date | None:
    return trip.returned_on or trip.planned_end


def window_opens(trip: Trip, settings: PassportSettings) -> date | None:
    """The first day the passport may be handed out for `trip`."""
    return trip.planned_start - timedelta(days=settings.handout_days_before) if trip.planned_start else None


def is_holders(passport: Passport, trip: Trip) -> bool:
    """The trip is the holder's: it names the passport's staff number, or it names none (a staff trip's applicant
    travelling alone, known only by account) and its owner is the passport's holder."""
    if trip.staff_number:
        return trip.staff_number == passport.staff_number
    return passport.holder_username is not None and trip.owner == passport.holder_username


def holders_trips(passport: Passport) -> Any:
    """`is_holders` as a WHERE clause over the trips."""
    mine = Trip.staff_number == passport.staff_number
    if passport.holder_username is None:
        return mine
    return or_(mine, and_(or_(Trip.staff_number.is_(None), Trip.staff_number == ""),
                          Trip.owner == passport.holder_username))


def why_not(passport: Passport, trip: Trip | None, on: date, settings: PassportSettings) -> str | None:
    """Why `passport` may not be handed out for `trip` on `on`, in words; None when it may."""
    if passport.status != "in_custody":
        return f"This passport {STATUS_WORDS.get(passport.status, 'is not in the office')}: only one in the " \
               "office's custody can be handed out."
    if trip is None:
        return "No approved trip with this id is known here: a passport goes out only for an approved trip."
    if not is_holders(passport, trip):
        return f"This trip is not one of {passport.holder_name}'s (staff number {passport.staff_number}): a " \
               "passport goes out only for its holder's own approved trip."
    if trip.status not in LIVE:
        return f"The trip \"{trip.title}\" {TRIP_WORDS.get(trip.status, 'is not live')}: a passport goes out only " \
               "for a trip that is still to take place or under way."
    start, opens = trip.planned_start, window_opens(trip, settings)
    if start is None or opens is None or trip.planned_end is None:
        return f"The trip \"{trip.title}\" has no dates yet: its departure decides when the passport may go out."
    if on < opens:
        return f"Too early: this passport may be handed out from {opens.isoformat()}, " \
               f"{settings.handout_days_before} days before the departure on {start.isoformat()}."
    end = trip_end(trip)
    if end is not None and passport.expires_on < end:
        return f"This passport expires on {passport.expires_on.isoformat()}, before the trip ends on " \
               f"{end.isoformat()}: it cannot be used for this trip."
    return None


def return_refusal(loan: Loan | None, on: date, today: date) -> str | None:
    if loan is None:
        return "This passport is not out on loan: there is nothing to take back."
    if on > today:
        return "A return cannot be recorded for a day still to come."
    if on < loan.handed_out_on:
        return f"It was handed out on {loan.handed_out_on.isoformat()}: it cannot have come back before."
    return None


def overdue_days(loan: Loan, today: date) -> int:
    end = loan.returned_on or today
    return max(0, (end - loan.due_on).days)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it has no such day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expires_too_soon(passport: Passport, end: date) -> bool:
    """The rule at submission: a passport must be valid six months beyond the trip's end."""
    return passport.status in HOLDING and passport.expires_on < add_months(end, EXPIRY_MARGIN_MONTHS)


def types_for(category: str | None) -> tuple[str, ...]:
    """Which of a traveller's documents a trip needs: a permit for Hong Kong, Macao or Taiwan, else a passport."""
    return TYPES_FOR_CATEGORY.get(category or "", PASSPORTS)


def type_words(kind: str, lang: str) -> str:
    en, zh = TYPES.get(kind, (kind, kind))
    return zh if lang == "zh" else en


def masked(passport: Passport) -> str:
    """The number as everyone but the clerk sees it: its last 4 characters."""
    return MASK + passport.number_last4


def trip_shown(trip: Trip) -> dict[str, Any]:
    return {"mobility_id": trip.mobility_id, "application_id": trip.application_id, "kind": trip.kind,
            "title": trip.title, "status": trip.status, "school": trip.school, "person_name": trip.person_name,
            "planned_start": trip.planned_start, "planned_end": trip.planned_end, "returned_on": trip.returned_on}


def eligible_trips(session: Session, passport: Passport, today: date,
                   settings_row: PassportSettings | None = None) -> list[dict[str, Any]]:
    """The holder's trips (`is_holders`), newest first, each with whether the passport may go out for it today
    and, if not, why: what the clerk chooses from on the passport's page."""
    settings = settings_row if settings_row is not None else rules(session)
    trips = session.scalars(select(Trip).where(holders_trips(passport))
                            .order_by(Trip.planned_start.desc().nulls_last(), Trip.mobility_id).limit(100))
    shown = []
    for trip in trips:
        reason = why_not(passport, trip, today, settings)
        shown.append({**trip_shown(trip), "can_hand_out": reason is None, "why_not": reason,
                      "handout_from": window_opens(trip, settings), "due_on": due_on(trip, settings)})
    return shown


def loan_shown(loan: Loan, title: str, today: date) -> dict[str, Any]:
    """A loan as the API shows it (never a number), `title` its trip's; each response schema takes its fields."""
    return {**{c: getattr(loan, c) for c in (
        "id", "passport_id", "mobility_id", "handed_out_on", "handed_out_at", "handed_out_by", "handed_to", "due_on",
        "returned_on", "returned_at", "returned_by", "received_from")},
        "handed_out_by_name": loan.handed_out_by_name or loan.handed_out_by,
        "returned_by_name": loan.returned_by_name or loan.returned_by,
        "title": title, "overdue_days": overdue_days(loan, today),
        "slip_url": f"/api/v1/passports/{loan.passport_id}/loans/{loan.id}/slip"}
