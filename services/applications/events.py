"""The application.* events: what consumers need to act without calling back (who, where, what, version).

`version` in the data is the content's (what a review decision names); the CloudEvents extension
`aggregateversion` is the revision, which moves on every change, so consumers can drop older news.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent

from eventbus import envelope
from services.applications import kinds
from services.applications.facts import mobility_facts
from services.applications.models import Application, Program

SOURCE = "/services/applications"
SUBMISSIONS = frozenset({"application.submitted", "application.resubmitted"})


def application_event(
    event_type: str, application: Application, program: Program | None, *, correlationid: str | None,
    **extra: Any,
) -> CloudEvent:
    data = application_data(application, program)
    if event_type in SUBMISSIONS:  # what review chains' conditions look at, top-level as they always were
        data.update(review_facts(application, data["mobility"]))
    data.update({k: v.isoformat() if isinstance(v, datetime) else v for k, v in extra.items()})
    return envelope.new_event(event_type, SOURCE, application.id, data, correlationid=correlationid,
                              aggregateversion=application.revision)


def review_facts(application: Application, mobility: dict[str, Any]) -> dict[str, Any]:
    """The period's length (the one duration of the mobility facts, right for every kind: a student's term
    too) and the budget, for the review chains' conditions."""
    return {"duration_days": mobility["duration_days"], "budget": (application.form or {}).get("budget")}


def application_data(application: Application, program: Program | None) -> dict[str, Any]:
    """What every application.* event says about the application, as it is now: with who travels and the staff
    trip's category, from which mobilities opens a record per traveller on approval, and a competing kind's
    `selection` (its choices, GPA, language and term: placements ranks on them)."""
    form = application.form or {}
    kind = kinds.get(application.kind)
    data = {
        "application_id": application.id,
        "kind": application.kind,
        "applicant": application.applicant,
        "applicant_name": application.applicant_name,
        "applicant_email": application.applicant_email,
        "locale": application.locale,
        "school": application.school,
        "program_id": application.program_id,
        "program_name": program.name if program else None,
        "title": application.title,
        "version": application.version,
        "status": application.status,
        "submitted_at": application.submitted_at.isoformat() if application.submitted_at else None,
        "mobility": mobility_facts(application.kind, form, program),
        "travellers": travellers(application.kind, form, application.applicant_name or application.applicant),
        "category": form.get("category"),  # a staff trip's (only that kind's form has one); null for the others
    }
    if kind.selection is not None:  # a kind that competes for places: what placements ranks it on
        data["selection"] = kind.selection(form, program)
    return data


def travellers(kind: str, form: dict[str, Any], applicant_name: str) -> list[dict[str, Any]]:
    """[{name, staff_number, role}] as the kind names its travellers (kinds.Kind.travellers)."""
    return kinds.get(kind).travellers_of(form, applicant_name)
