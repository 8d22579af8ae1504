"""Holds on submitting: mobilities places one when a report (or a residence permit, an event's summary) is overdue
and clears it when the item is done (mobility.hold_placed, mobility.hold_cleared); passports places one, with the
same data, when a passport is not handed back in time (passport.hold_placed, passport.hold_cleared). Applications
keeps its copy (the `holds` table) and refuses a submission or resubmission while a hold names the applicant (by
username), any member of the group (by staff number) or, for a school-wide hold, the application's school: a 409
problem naming each hold and what clears it.

The news may come twice or out of order (the consumer's inbox drops the same event twice; two events may cross):
a hold is kept by its id, placed once, and its clearing keeps the row with `cleared_at` set, so a placement that
arrives after its clearing finds the hold cleared and leaves it so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from flask import abort
from sqlalchemy import ColumnElement, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from chassis.errors import problem
from services.applications.models import Application, Hold

PROBLEM_TYPE = "https://mobility.example/problems/on-hold"
# What is overdue and what clears it, in words (the codes as mobilities sends them); a code not listed is shown
# with its underscores as spaces.
REASONS = {"report_overdue": "the trip report is overdue", "summary_overdue": "the event's summary is overdue",
           "residence_permit_overdue": "the residence permit is overdue",
           "passport_overdue": "the passport has not been handed back"}
CLEARS = {"report_accepted": "the report is accepted", "summary_accepted": "the summary is accepted",
          "residence_permit_recorded": "the residence permit is recorded",
          "passport_returned": "the passport is handed back"}


def on_hold_placed(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    if session.get(Hold, data["hold_id"]) is None:  # placed already, or cleared before this arrived: as it is
        session.add(_hold(data, placed_at=_time(event)))


def on_hold_cleared(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    hold = session.get(Hold, data["hold_id"], with_for_update=True)
    if hold is None:  # cleared before its placement arrived: the tombstone keeps the late placement out
        session.add(_hold(data, placed_at=_time(event), cleared_at=_time(event)))
    elif hold.cleared_at is None:
        hold.cleared_at = _time(event)


def _hold(data: dict[str, Any], **times: datetime) -> Hold:
    return Hold(hold_id=data["hold_id"], scope=data["scope"], username=data.get("username"),
                staff_number=data.get("staff_number"), school=data["school"], reason=data["reason"],
                mobility_id=data.get("mobility_id"), title=(data.get("title") or "")[:200],
                due_on=date.fromisoformat(data["due_on"]) if data.get("due_on") else None,
                clears=data.get("clears") or "", **times)


def _time(event: CloudEvent) -> datetime:
    at = event.get_time()
    return at if isinstance(at, datetime) else datetime.now(UTC)


def standing(session: Session, application: Application) -> list[Hold]:
    """The holds that keep this application from being submitted: on its applicant, on any member of its group
    (by staff number), or on its whole school; oldest due first."""
    numbers = sorted({str(m["staff_number"]) for m in (application.form or {}).get("members") or ()
                      if isinstance(m, dict) and m.get("staff_number")})
    found = session.scalars(_STANDING_WITH_MEMBERS if numbers else _STANDING,
                            {"applicant": application.applicant, "school": application.school, "numbers": numbers})
    return list(found)


def _standing(*whom: ColumnElement[bool]) -> Select[tuple[Hold]]:
    """Built once (building it was a quarter of what a submission's hold check cost), the values bound per call."""
    return (select(Hold).where(Hold.cleared_at.is_(None), or_(
        Hold.username == bindparam("applicant"), (Hold.scope == "school") & (Hold.school == bindparam("school")),
        *whom)).order_by(Hold.due_on, Hold.hold_id))


_STANDING = _standing()
_STANDING_WITH_MEMBERS = _standing(Hold.staff_number.in_(bindparam("numbers", expanding=True)))


def refuse_if_held(session: Session, application: Application) -> None:
    """Abort the request with a 409 problem+json while a hold stands (the caller's transaction rolls back). Each
    hold is listed with whom it holds: `applicant`, `member` (with the member's staff number) or `school`."""
    held = standing(session, application)
    if held:
        abort(problem(409, "On hold", detail(held, application), type=PROBLEM_TYPE, holds=[
            {"reason": h.reason, "title": h.title, "due_on": h.due_on.isoformat() if h.due_on else None,
             "clears": h.clears, "holds": whom(h, application),
             "staff_number": h.staff_number if whom(h, application) == "member" else None} for h in held]))


def whom(hold: Hold, application: Application) -> str:
    if hold.username == application.applicant:
        return "applicant"
    return "school" if hold.scope == "school" else "member"


def detail(held: list[Hold], application: Application) -> str:
    """One sentence per hold: who is held, what is overdue on which mobility since when, and what clears it."""
    who = {"applicant": "You are", "school": "Your school is"}
    return " ".join(
        f"{who.get(whom(h, application)) or f'The group member with staff number {h.staff_number} is'} on hold: "
        f"{_words(REASONS, h.reason)} for “{h.title}”{f' (due on {h.due_on.isoformat()})' if h.due_on else ''}; "
        f"it can be submitted once {_words(CLEARS, h.clears)}." for h in held)


def _words(table: dict[str, str], code: str) -> str:
    return table.get(code) or code.replace("_", " ")


# Both producers' holds are one kind of thing here: a hold id, whom it holds, why and what clears it.
HANDLERS = {"mobility.hold_placed": on_hold_placed, "mobility.hold_cleared": on_hold_cleared,
            "passport.hold_placed": on_hold_placed, "passport.hold_cleared": on_hold_cleared}
