"""Who is told of what, in one place: event type → the people to notify, paired with every channel that is
on (channels/: each channel then says whether it reaches the person)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import structlog
from sqlalchemy import bindparam, cast, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from services.notifications.channels import Channel, Pair, email
from services.notifications.models import Recipient

log = structlog.get_logger(__name__)


class RecipientUnknown(Exception):
    """A named person is not (yet) in our copy of the directory; the event is retried later."""


def _applicant(session: Session, data: dict[str, Any]) -> list[Recipient]:
    recipient = session.get(Recipient, data["applicant"])
    if recipient is not None:
        return [recipient]
    if data.get("applicant_email"):  # the event carries what we need: no waiting for user.registered
        return [Recipient(username=data["applicant"], contacts={email.CHANNEL.name: data["applicant_email"]},
                          locale=data.get("locale") or "zh", roles=[])]
    raise RecipientUnknown(f"applicant {data['applicant']!r} not yet known from user.registered")


def _reviewers(session: Session, data: dict[str, Any]) -> list[Recipient]:
    role, school = data["role"], data.get("school")
    found = [
        p for p in with_role(session, role)
        if any(r.get("role") == role and (r.get("school") is None or r.get("school") == school) for r in p.roles)
    ]
    if not found:  # nobody holds the role (yet): a staffing gap the office should hear about
        log.warning("notifications.no_reviewer", role=role, school=school, task=data.get("task_id"))
    return found


def _claimer_or_reviewers(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """Overdue: whoever holds the task (or everyone who could take it while nobody has), and the supervisor."""
    if data.get("claimed_by"):
        claimer = session.get(Recipient, data["claimed_by"])
        holders = [claimer] if claimer else []
    else:
        holders = _reviewers(session, data)
    supervisors = [p for p in with_role(session, data["supervisor_role"]) if p not in holders]
    return holders + supervisors


def with_role(session: Session, role: str) -> list[Recipient]:
    """Everyone holding `role`, for any school, by username. PostgreSQL narrows the directory to them (JSON
    containment), so the thousands of students in it are not loaded for every review task's notice."""
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalars(_HOLDING, {"holds": [{"role": role}]})
    else:
        found = session.scalars(_EVERYONE)
    return [p for p in found if any(r.get("role") == role for r in p.roles)]


# Built once, the role bound per call: building them was 2% of the notifications worker.
_EVERYONE = select(Recipient).order_by(Recipient.username)
_HOLDING = _EVERYONE.where(cast(Recipient.roles, JSONB).contains(bindparam("holds", type_=JSONB)))


def _supervisors_and_claimer(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """Escalated: the supervisor role steps in; the claimer hears of it too."""
    supervisors = with_role(session, data["supervisor_role"])
    claimer = session.get(Recipient, data["claimed_by"]) if data.get("claimed_by") else None
    return ([claimer] if claimer and claimer not in supervisors else []) + supervisors


def _asked_to_act(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """A new task's reviewers; nobody while it waits (a publicity period running: nothing to act on yet)."""
    return [] if data.get("status") == "waiting" else _reviewers(session, data)


def _icd_officers(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """An objection to a publicised trip: the ICD officers decide it."""
    return with_role(session, "icd_officer")


PARTNER = "partner:"  # the username of a partner's contact: an address, not an account of ours


def _partner_contact(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """A nomination's link: the partner's contact, an address and not a user of ours (no account, no inbox of
    their own; the address comes with the event). English unless the event says otherwise: partners are abroad."""
    return [Recipient(username=f"{PARTNER}{data['contact_email']}",
                      contacts={email.CHANNEL.name: data["contact_email"]},
                      locale=data.get("contact_locale") or "en", roles=[])]


# After approval (mobility.*): the record's owner is the applicant, who acts for every person of the trip.


def _owner(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """The applicant who acts for the record: someone we must know (they applied), so retried until we do."""
    recipient = session.get(Recipient, data["owner"])
    if recipient is None:
        raise RecipientUnknown(f"owner {data['owner']!r} not yet known from user.registered")
    return [recipient]


def _coordinators(session: Session, school: str) -> list[Recipient]:
    """The school's coordinators, found as a review task's reviewers are (the role for that school, or held
    university-wide)."""
    return _reviewers(session, {"role": "school_coordinator", "school": school})


def _distinct(*groups: list[Recipient]) -> list[Recipient]:
    """Each person once, in the order named: someone who is both owner and coordinator gets one notice."""
    seen: dict[str, Recipient] = {}
    for person in (p for group in groups for p in group):
        seen.setdefault(person.username, person)
    return list(seen.values())


def _owner_coordinators_and_icd(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """Overdue: the owner, who must act; the school's coordinator and the ICD, who follow it up."""
    return _distinct(_owner(session, data), _coordinators(session, data["school"]),
                     with_role(session, "icd_officer"))


def _owner_and_icd(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """A no-show: the owner, and the ICD, whose counts and plans it changes."""
    return _distinct(_owner(session, data), with_role(session, "icd_officer"))


def _school_reviewers(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """A report handed in: the school's coordinators review it first (the ICD finds it in its queue after)."""
    return [p for p in _coordinators(session, data["school"]) if p.username != data["owner"]]


def _held(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """A hold: the person it holds, or, on a whole school, the school's coordinators (who file for it)."""
    if data["scope"] == "school":
        return _coordinators(session, data["school"])
    return _owner(session, {"owner": data["username"]}) if data.get("username") else []



# Passports in the office's custody (passport.*): the holder is the register's holder_username, which a clerk may
# leave empty or name before the account exists; then nobody is told as the holder (no retry: it may never come).


def _holder(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """The passport's holder, where the register names an account we know."""
    username = data.get("holder_username")
    recipient = session.get(Recipient, username) if username else None
    if username and recipient is None:
        log.warning("notifications.holder_unknown", holder=username, passport=data.get("passport_id"))
    return [recipient] if recipient else []


def _holder_coordinators_and_icd(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """A passport not handed back: the holder, who must bring it; the school's coordinators and the ICD, who
    follow it up (a passport of no school: the ICD alone)."""
    school = data.get("school")
    return _distinct(_holder(session, data), _coordinators(session, school) if school else [],
                     with_role(session, "icd_officer"))


def _applicant_and_clerks(session: Session, data: dict[str, Any]) -> list[Recipient]:
    """A traveller's passport expires too soon for the trip: the applicant, who acts for the trip (someone we must
    know: they applied), and the passport clerks, who hold the passport."""
    return _distinct(_owner(session, {"owner": data["applicant"]}), with_role(session, "passport_clerk"))

RULES = {
    "application.submitted": _applicant,
    "application.resubmitted": _applicant,
    "application.changes_requested": _applicant,
    "application.approved": _applicant,
    "application.rejected": _applicant,
    "application.withdrawn": _applicant,
    "application.cancelled": _applicant,
    "application.changed": _applicant,
    "application.change_rejected": _applicant,
    "review.task_created": _asked_to_act,
    "review.task_overdue": _claimer_or_reviewers,
    "review.task_escalated": _supervisors_and_claimer,
    "publicity.opened": _applicant,
    "publicity.objection_lodged": _icd_officers,
    "publicity.objection_decided": _applicant,
    "publicity.ended": _applicant,
    "mobility.due_soon": _owner,
    "mobility.overdue": _owner_coordinators_and_icd,
    "mobility.report_submitted": _school_reviewers,
    "mobility.report_decided": _owner,
    "mobility.hold_placed": _held,
    "mobility.changed": _owner,
    "mobility.no_show": _owner_and_icd,
    "passport.due_soon": _holder,
    "passport.overdue": _holder_coordinators_and_icd,
    "passport.handed_out": _holder,
    "passport.returned": _holder,
    "passport.expiry_warning": _applicant_and_clerks,
    "offer.made": _applicant,  # the student, with the deadline
    "offer.lapsed": _applicant,
    "offer.superseded": _applicant,  # the offer they were told of no longer holds
    "offer.withdrawn": _applicant,
    # Agreements with partners (placements): the ICD keeps the register, so it renews or lets an agreement end.
    "agreement.expiring": _icd_officers,
    # Nominations to partners (placements): the partner's contact gets the signed link to answer; the student is
    # told the partner's answer.
    "nomination.link_issued": _partner_contact,
    "nomination.approved": _applicant,
    "nomination.rejected": _applicant,
    # The 差额公示 of a round's candidate list (placements): an objection pauses it until the ICD decides it.
    "selection.list_objection_lodged": _icd_officers,
}


def recipients(session: Session, event_type: str, data: dict[str, Any]) -> list[Recipient]:
    return RULES[event_type](session, data)


def pairs(people: Iterable[Recipient], channels: Sequence[Channel]) -> list[Pair]:
    """Each person on each channel (one that cannot reach a person skips them); a partner's contact has no account
    and so no inbox: only the channels that send (e-mail), so their link is not kept in an inbox nobody reads."""
    return [(person, channel) for person in people for channel in channels
            if not (person.username.startswith(PARTNER) and channel.name == "inbox")]
