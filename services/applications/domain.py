"""The application lifecycle and its rules, pure Python: no I/O, the clock and the program passed in.

    draft → submitted → in_review → changes_requested → submitted … → approved | rejected
    withdrawn: by the applicant from any state that is not final

Every change bumps `version` (it travels as the events' `aggregateversion`); a change must name the
version it saw, and a stale one is refused. Editing is allowed in draft and changes_requested only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError

from services.applications.forms import KINDS, Kind
from services.applications.models import Application, HistoryEntry, Program

FINAL = frozenset({"approved", "rejected", "withdrawn"})
EDITABLE = frozenset({"draft", "changes_requested"})
OUTCOMES = {"approved": "approved", "rejected": "rejected", "changes_requested": "changes_requested"}
_ALLOWED = {
    ("draft", "submitted"), ("changes_requested", "submitted"), ("submitted", "in_review"),
    *{(s, o) for s in ("submitted", "in_review") for o in OUTCOMES.values()},
    *{(s, "withdrawn") for s in ("draft", "submitted", "in_review", "changes_requested")},
}


class TransitionError(Exception):
    """The application is not in a state that allows this step (HTTP 409)."""


class VersionConflict(Exception):
    """The caller saw another version than the current one (HTTP 409)."""


class WindowClosed(Exception):
    """The program's application window is not open (HTTP 409)."""


class FormInvalid(Exception):
    """Field-by-field errors (HTTP 422)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("invalid form")
        self.errors = errors


def check_version(application: Application, seen: int | None) -> None:
    if seen is None:
        raise VersionConflict("Name the version you saw: an If-Match header or a \"version\" field.")
    if seen != application.version:
        raise VersionConflict(
            f"The application changed since you saw it (you saw version {seen}, it is now version "
            f"{application.version}); reload it and try again."
        )


def new_draft(
    *, kind: str, applicant: str, applicant_name: str, applicant_email: str, school: str, locale: str,
    program: Program | None, form: dict[str, Any], now: datetime,
) -> tuple[Application, HistoryEntry]:
    application = Application(
        id=str(uuid.uuid4()), kind=kind, program_id=program.id if program else None, applicant=applicant,
        applicant_name=applicant_name, applicant_email=applicant_email, school=school, locale=locale,
        title=title_of(kind, form, program), status="draft", version=1, form=form, created_at=now, updated_at=now,
    )
    return application, _history(application, None, actor=applicant, now=now)


def ensure_editable(application: Application, action: str = "be edited") -> None:
    """Edits and document changes: only in draft and changes_requested."""
    if application.status not in EDITABLE:
        raise TransitionError(f"An application in status '{application.status}' cannot {action}.")


def edit(application: Application, form: dict[str, Any], program: Program | None, now: datetime) -> None:
    ensure_editable(application)
    application.form = form
    application.program_id = program.id if program else None
    application.title = title_of(application.kind, form, program)
    application.version += 1
    application.updated_at = now


def transition(
    application: Application, to: str, *, actor: str, now: datetime, comment: str | None = None
) -> HistoryEntry:
    if (application.status, to) not in _ALLOWED:
        verb = {"submitted": "submitted", "withdrawn": "withdrawn"}.get(to, f"moved to '{to}'")
        raise TransitionError(f"An application in status '{application.status}' cannot be {verb}.")
    before = application.status
    application.status = to
    application.version += 1
    application.updated_at = now
    if to == "submitted":
        application.submitted_at = now
    return _history(application, before, actor=actor, now=now, comment=comment)


def _history(
    application: Application, before: str | None, *, actor: str, now: datetime, comment: str | None = None
) -> HistoryEntry:
    return HistoryEntry(application_id=application.id, at=now, actor=actor, from_status=before,
                        to_status=application.status, version=application.version, comment=comment)


def check_window(program: Program | None, now: datetime) -> None:
    if program is None:
        return
    if now < program.opens_at:
        raise WindowClosed(f"Applications for '{program.name}' open on {program.opens_at:%Y-%m-%d %H:%M} UTC.")
    if now >= program.closes_at:
        raise WindowClosed(f"Applications for '{program.name}' closed on {program.closes_at:%Y-%m-%d %H:%M} UTC.")


def validate_form(
    kind: Kind, form: dict[str, Any], program: Program | None, today: date, *, complete: bool
) -> dict[str, Any]:
    """Load the form (all of it when `complete`, else what is there) and apply the rules; all errors at once.

    Returns the form as stored (JSON types); raises FormInvalid with a field → messages map.
    """
    schema = kind.form()
    errors: dict[str, Any] = {}
    try:
        loaded = schema.load(form, partial=not complete)
    except ValidationError as err:
        errors.update(err.normalized_messages())
        loaded = err.valid_data or {}
    for name, message in rule_errors(kind, loaded, program, today).items():
        errors.setdefault(name, []).append(message)
    if errors:
        raise FormInvalid(errors)
    return schema.dump(loaded)  # type: ignore[no-any-return]


def rule_errors(kind: Kind, form: dict[str, Any], program: Program | None, today: date) -> dict[str, str]:
    """The rules users expect beyond single fields: dates, durations, choices from the program."""
    errors: dict[str, str] = {}
    start, end = form.get("start_date"), form.get("end_date")
    if isinstance(start, date) and start <= today:
        errors["start_date"] = "Must be in the future."
    if isinstance(end, date) and isinstance(start, date):
        if end < start:
            errors["end_date"] = "Must not be before the start date."
        elif kind.max_days is not None and (end - start).days + 1 > kind.max_days:
            errors["end_date"] = f"The period may last at most {kind.max_days} days."
    term = form.get("term")
    if isinstance(term, str) and "-" in term:
        year, season = term.split("-", 1)
        starts = date(int(year), 2 if season == "spring" else 9, 1)
        if starts <= today:
            errors["term"] = "Choose a term that has not started yet."
    choices = form.get("partner_choices")
    if choices is not None and program is not None:
        offered = {p.id for p in program.partners}
        if any(c not in offered for c in choices):
            errors["partner_choices"] = f"Choose only partners of the program '{program.name}'."
    return errors


def title_of(kind: str, form: dict[str, Any], program: Program | None) -> str:
    return _title(kind, form, program)[:200]


def _title(kind: str, form: dict[str, Any], program: Program | None) -> str:
    if kind == "student_exchange":
        return f"{program.name} ({form.get('term', '')})".replace(" ()", "") if program else "Student exchange"
    if kind == "faculty_exchange":
        where = form.get("destination_institution") or "abroad"
        return f"{str(form.get('purpose', 'trip')).replace('_', ' ').capitalize()} at {where}"
    if kind == "foreign_expert":
        return f"Foreign expert: {form.get('expert_name') or 'unnamed'}"
    return str(form.get("title") or "Hosted event")


def review_facts(form: dict[str, Any]) -> dict[str, Any]:
    """What review chains' conditions look at, carried on submission events: the period and the budget."""
    start, end = form.get("start_date"), form.get("end_date")
    days = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1 if start and end else None
    return {"duration_days": days, "budget": form.get("budget")}


def kind_of(name: str) -> Kind:
    return KINDS[name]


def start_review(application: Application, seen_version: int, now: datetime) -> HistoryEntry | None:
    """A review task opened for the version that was submitted. Stale news (older version) is ignored."""
    if application.status != "submitted" or seen_version != application.version:
        return None
    return transition(application, "in_review", actor="reviews", now=now)


def complete_review(
    application: Application, outcome: str, seen_version: int, *, actor: str, comment: str | None, now: datetime
) -> HistoryEntry | None:
    """The review chain decided on the version it saw. Anything else (withdrawn since, decided twice,
    an older version) is stale news: no effect."""
    if application.status not in ("submitted", "in_review") or outcome not in OUTCOMES:
        return None
    # The review decided on the submitted version v: we are still `submitted` (v), or `in_review` (v+1).
    expected = application.version if application.status == "submitted" else application.version - 1
    if seen_version != expected:
        return None
    return transition(application, OUTCOMES[outcome], actor=actor, now=now, comment=comment)
