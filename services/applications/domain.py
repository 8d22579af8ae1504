"""The application lifecycle and its rules, pure Python: no I/O, the clock and the program passed in.

    draft → submitted → in_review → changes_requested → submitted … → approved | rejected
    withdrawn: by the applicant from any state that is not final
    cancelled: after approval, by the applicant or the office, with a reason (its 任务批件 is cancelled too)

Two counters. `version` is the content's: 1 when created, +1 each time the applicant edits it; a change must
name the version it saw (a stale one is refused), and a review decision names exactly the version it judged.
`revision` moves on every change, status changes included: it is the row's lock counter and the events'
`aggregateversion`, so consumers can order news. Editing is allowed in draft and changes_requested only.
What a kind adds (its form, rules, documents, titles) comes from its module in kinds/.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError

from services.applications import kinds
from services.applications.kinds import Kind
from services.applications.models import Application, HistoryEntry, Program

FINAL = frozenset({"approved", "rejected", "withdrawn", "cancelled"})
EDITABLE = frozenset({"draft", "changes_requested"})
OUTCOMES = {"approved": "approved", "rejected": "rejected", "changes_requested": "changes_requested"}
REVIEWABLE = frozenset({"submitted", "in_review"})
_ALLOWED = {
    ("draft", "submitted"), ("changes_requested", "submitted"), ("submitted", "in_review"),
    *{(s, o) for s in REVIEWABLE for o in OUTCOMES.values()},
    *{(s, "withdrawn") for s in ("draft", "submitted", "in_review", "changes_requested")},
    ("approved", "cancelled"),
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


def kind_of(name: str) -> Kind:
    return kinds.get(name)


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
        id=str(uuid.uuid4()), kind=kind, program_id=program.id if program else None, program=program,
        applicant=applicant, applicant_name=applicant_name, applicant_email=applicant_email, school=school,
        locale=locale, title=title_of(kind, form, program), status="draft", version=1, revision=1, form=form,
        created_at=now, updated_at=now,
    )
    return application, _history(application, None, actor=applicant, now=now)


def ensure_editable(application: Application, action: str = "be edited") -> None:
    """Edits and document changes: only in draft and changes_requested."""
    if application.status not in EDITABLE:
        raise TransitionError(f"An application in status '{application.status}' cannot {action}.")


def edit(application: Application, form: dict[str, Any], program: Program | None, now: datetime) -> None:
    """The applicant's change of content: the one thing that makes a new version."""
    ensure_editable(application)
    application.form = form
    application.program_id = program.id if program else None
    application.program = program
    application.title = title_of(application.kind, form, program)
    application.version += 1
    _touch(application, now)


def transition(
    application: Application, to: str, *, actor: str, now: datetime, comment: str | None = None
) -> HistoryEntry:
    """A status change: a new revision, the same version (the content did not change)."""
    if (application.status, to) not in _ALLOWED:
        verb = to if to in ("submitted", "withdrawn", "cancelled") else f"moved to '{to}'"
        raise TransitionError(f"An application in status '{application.status}' cannot be {verb}.")
    before = application.status
    application.status = to
    _touch(application, now)
    if to == "submitted":
        application.submitted_at = now
    return _history(application, before, actor=actor, now=now, comment=comment)


def _touch(application: Application, now: datetime) -> None:
    application.revision += 1
    application.updated_at = now


def _history(
    application: Application, before: str | None, *, actor: str, now: datetime, comment: str | None = None
) -> HistoryEntry:
    return HistoryEntry(application_id=application.id, at=now, actor=actor, from_status=before,
                        to_status=application.status, version=application.version, comment=comment)


def submit(
    application: Application, program: Program | None, present_documents: Iterable[str], *, actor: str,
    now: datetime, comment: str | None = None, reference: Any = None,
) -> tuple[HistoryEntry, str]:
    """Submit a draft, or resubmit after changes were asked for: the status allows it, the program's window is
    open (for a first submission: a resubmission may come late), the whole form is valid and the required
    documents are there; the form's and the documents' errors come back at once. Returns the history entry
    and the event type to announce."""
    if application.status not in EDITABLE:
        raise TransitionError(f"An application in status '{application.status}' cannot be submitted.")
    kind = kind_of(application.kind)
    if application.status == "draft":
        check_window(program, now)
    errors: dict[str, Any] = {}
    try:
        validate_form(kind, application.form, program, now.date(), complete=True, reference=reference)
    except FormInvalid as exc:
        errors.update(exc.errors)
    present = set(present_documents)
    missing = [t for t in kind.required_documents if t not in present]
    if missing:
        errors["documents"] = [f"Upload a document of type '{t}'." for t in missing]
    if errors:
        raise FormInvalid(errors)
    event_type = "application.resubmitted" if application.status == "changes_requested" else "application.submitted"
    return transition(application, "submitted", actor=actor, now=now, comment=comment), event_type


def check_window(program: Program | None, now: datetime) -> None:
    if program is None:
        return
    if now < program.opens_at:
        raise WindowClosed(f"Applications for '{program.name}' open on {program.opens_at:%Y-%m-%d %H:%M} UTC.")
    if now >= program.closes_at:
        raise WindowClosed(f"Applications for '{program.name}' closed on {program.closes_at:%Y-%m-%d %H:%M} UTC.")


def validate_form(
    kind: Kind, form: dict[str, Any], program: Program | None, today: date, *, complete: bool, reference: Any = None
) -> dict[str, Any]:
    """Load the form (all of it when `complete`, else what is there) and apply the rules; all errors at once.

    Returns the form as stored (JSON types); raises FormInvalid with a field → messages map.
    """
    schema = kind.schema
    errors: dict[str, Any] = {}
    try:
        loaded = schema.load(form, partial=not complete)
    except ValidationError as err:
        errors.update(_text_keys(err.normalized_messages()))
        loaded = err.valid_data or {}
    for name, message in kind.rule_errors(loaded, program, today, reference, complete=complete).items():
        place_error(errors, name, message)
    if errors:
        raise FormInvalid(errors)
    return schema.dump(loaded)  # type: ignore[no-any-return]


def rule_errors(
    kind: Kind, form: dict[str, Any], program: Program | None, today: date, reference: Any = None
) -> dict[str, str]:
    """The rules users expect beyond single fields (the kind's: dates, durations, choices from the program, and
    the office's reference data where the kind reads some)."""
    return kind.rule_errors(form, program, today, reference)


def _text_keys(messages: Any) -> Any:
    """marshmallow numbers a list's items with ints; JSON (and the rules' dotted paths) name them as text."""
    if isinstance(messages, dict):
        return {str(key): _text_keys(value) for key, value in messages.items()}
    return messages


def place_error(errors: dict[str, Any], path: str, message: str) -> None:
    """Add a rule's message where marshmallow would have put it: "members.2.name" nests as members → "2" → name
    (marshmallow's shape for a list of groups' field errors, its item numbers as text, which the pages read)."""
    *parents, name = path.split(".")
    node = errors
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):  # a list of messages about the whole field stays, under "_schema"
            child = node[key] = {"_schema": child} if child else {}
        node = child
    existing = node.get(name)
    if isinstance(existing, dict):
        existing.setdefault("_schema", []).append(message)
    else:
        node.setdefault(name, []).append(message)


def announced(kind: Kind, form: dict[str, Any], reference: Any) -> dict[str, Any]:
    """What a submission's event says beyond the application: its public notice (公示) and what the chains'
    conditions read of the office's rules (rule exceptions asked for, a trip outside the plan); {} for a kind
    with neither."""
    extra: dict[str, Any] = {}
    if kind.notice is not None:
        extra["notice"] = kind.notice(form)
    if kind.assess is not None:
        extra["assessment"] = kind.assess(form, reference)
    return extra


def titles_of(kind: str, form: dict[str, Any], program: Program | None) -> dict[str, str]:
    """The application's title in each language, from its kind."""
    return {language: text[:200] for language, text in kind_of(kind).title(form, program).items()}


def title_of(kind: str, form: dict[str, Any], program: Program | None) -> str:
    """The stored title: the English one, as events and existing consumers have always had it."""
    return titles_of(kind, form, program)["en"]


def start_review(application: Application, seen_version: int, now: datetime) -> HistoryEntry | None:
    """A review task opened for the version that was submitted. Stale news (another version) is ignored."""
    if application.status != "submitted" or seen_version != application.version:
        return None
    return transition(application, "in_review", actor="reviews", now=now)


def complete_review(
    application: Application, outcome: str, seen_version: int, *, actor: str, comment: str | None, now: datetime
) -> HistoryEntry | None:
    """The review chain decided on the version it saw: exactly the current one, still under review. Anything
    else (withdrawn since, decided twice, another version) is stale news: no effect."""
    if application.status not in REVIEWABLE or outcome not in OUTCOMES or seen_version != application.version:
        return None
    return transition(application, OUTCOMES[outcome], actor=actor, now=now, comment=comment)
