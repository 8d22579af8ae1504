"""What the placements service does with the news it hears (one function per event type); the consumer binds
`placements.events` to exactly these routing keys.

program.saved keeps the copy of each program (`programs`), application.approved of a student exchange keeps its
candidate (`candidates`, from the event's `selection` block), application.withdrawn and application.cancelled mark
that candidate withdrawn (a tombstone row when the withdrawal of a student exchange of a program arrives before its
approval, so the older approval never makes it eligible; other kinds never become candidates), calendar.changed
keeps the copy of the official working-day calendar the 差额公示 is counted on (calendar_copy.py).
Each copy is ordered by its aggregate's version (the events' aggregateversion): news older than what a row has
applied changes nothing, so redelivered or reordered messages leave the latest state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.orm import Session

from services.placements import calendar_copy, offer_changes, rounds
from services.placements.models import Candidate, Program

Handler = Callable[[Session, dict[str, Any], CloudEvent], None]
SELECTED_KIND = "student_exchange"  # the one kind whose approved applications compete for places
STAYS = ("withdrawn", "excluded")  # a newer approval does not make these eligible again (excluded: the ICD's call)


def _revision(event: CloudEvent) -> int:
    value = event.get_extension("aggregateversion")
    return int(value) if value is not None else 0


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _decimal(value: Any) -> Decimal | None:
    """A decimal the form sent as a string ("3.52"); anything unreadable is kept as unknown, not guessed."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def on_program_saved(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    revision = _revision(event)
    program = session.get(Program, data["program_id"], with_for_update=True)
    if program is None:
        program = Program(program_id=data["program_id"], version=0)
        session.add(program)
    elif revision and revision <= program.version:
        return  # older news than this copy has applied
    program.code, program.name, program.kind = data.get("code") or "", data.get("name") or "", data["kind"]
    program.seats = data.get("seats")
    program.opens_at, program.closes_at = _moment(data.get("opens_at")), _moment(data.get("closes_at"))
    program.partners = [{"partner_id": p["partner_id"], "name": p.get("name") or "", "country": p.get("country"),
                         "region": p.get("region")} for p in data.get("partners") or []]
    program.version = revision or program.version
    program.updated_at = datetime.now(UTC)


def on_application_approved(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """A student exchange approved with its `selection` block becomes an eligible candidate of its program; an
    approval of another kind, or without a program or a selection block (news from before the block), is not one."""
    selection = data.get("selection")
    if data.get("kind") != SELECTED_KIND or not data.get("program_id") or not isinstance(selection, dict):
        return
    revision = _revision(event)
    candidate = session.get(Candidate, data["application_id"], with_for_update=True)
    if candidate is None:
        candidate = Candidate(application_id=data["application_id"], revision=0)
        session.add(candidate)
    elif revision and revision <= candidate.revision:
        return
    language = selection.get("language") or {}
    candidate.program_id, candidate.applicant = data["program_id"], data["applicant"]
    candidate.applicant_name, candidate.applicant_email = data.get("applicant_name") or "", data.get("applicant_email")
    candidate.locale, candidate.school = data.get("locale"), data.get("school")
    candidate.choices = [{"partner_id": c["partner_id"], "name": c.get("name") or "", "country": c.get("country")}
                         for c in selection.get("choices") or []]
    candidate.gpa = _decimal(selection.get("gpa"))
    candidate.language_type, candidate.language_score = language.get("type"), _decimal(language.get("score"))
    candidate.term = selection.get("term")
    candidate.submitted_at = _moment(data.get("submitted_at"))
    if candidate.status not in STAYS:
        candidate.status = "eligible"
    candidate.revision = revision or candidate.revision


def on_application_ended(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """application.withdrawn or application.cancelled: the candidate (if any) no longer competes; their offers
    are withdrawn and the live round re-runs, so their place moves on. Locks in the one order of every writer of
    a round's offers (offers.py): the program's live round first, then the candidate, then offers and nomination."""
    revision = _revision(event)
    known = session.get(Candidate, data["application_id"])  # unlocked: only to find the round to lock first
    if known is not None and known.program_id:
        rounds.live_round(session, known.program_id, lock=True)
    candidate = session.get(Candidate, data["application_id"], with_for_update=True, populate_existing=True)
    if candidate is None:
        if data.get("kind") != SELECTED_KIND or not data.get("program_id"):
            return  # never a candidate: a tombstone would only pile up (and show in every run's inputs)
        # the withdrawal overtook the approval (a delayed retry): a tombstone at this revision makes the
        # approval, older, change nothing
        session.add(Candidate(application_id=data["application_id"], program_id=data["program_id"],
                              applicant=data.get("applicant") or "", status="withdrawn", revision=revision))
        return
    if revision and revision <= candidate.revision:
        return
    candidate.status, candidate.revision = "withdrawn", revision or candidate.revision
    offer_changes.candidate_withdrawn(session, candidate.application_id, datetime.now(UTC))


def table() -> dict[str, Handler]:
    return {"program.saved": on_program_saved,
            "application.approved": on_application_approved,
            "application.withdrawn": on_application_ended,
            "application.cancelled": on_application_ended,
            "calendar.changed": calendar_copy.on_calendar_changed}


HANDLERS = table()
