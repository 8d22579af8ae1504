"""The application.* events: what consumers need to act without calling back (who, where, what, version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent

from eventbus import envelope
from services.applications.facts import mobility_facts
from services.applications.models import Application, Program

SOURCE = "/services/applications"


def application_event(
    event_type: str, application: Application, program: Program | None, *, correlationid: str | None,
    **extra: Any,
) -> CloudEvent:
    data = application_data(application, program)
    data.update({k: v.isoformat() if isinstance(v, datetime) else v for k, v in extra.items()})
    return envelope.new_event(event_type, SOURCE, application.id, data, correlationid=correlationid,
                              aggregateversion=application.version)


def application_data(application: Application, program: Program | None) -> dict[str, Any]:
    """What every application.* event says about the application, as it is now."""
    return {
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
        "mobility": mobility_facts(application.kind, application.form or {}, program),
    }
