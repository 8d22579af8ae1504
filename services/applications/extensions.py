"""A traveller's extension beyond the approved dates (mobilities' mobility.extension_requested), carried out as a
change request of the approved application: the approved form with the new end (the kind's `with_end`), judged
and re-approved as any change (change_requests.py), its events naming the extension as `change.extension_id`.

An extension that cannot even be asked for (the form with the new end breaks the rules, another change is waiting,
the application is no longer approved, the kind has no end to move) is refused at once: application.change_rejected
with the reason as its comment, so that mobilities learns it without waiting for a review that will never come.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import structlog
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.applications import change_requests, domain
from services.applications.kinds import CannotExtend
from services.applications.models import Application, ChangeRequest

log = structlog.get_logger(__name__)


def on_extension_requested(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    extension = data["extension"]
    application = session.get(Application, data["application_id"], with_for_update=True)
    if application is None:  # not an application of ours: nothing to change, nobody to tell
        log.warning("extension.unknown_application", application_id=data["application_id"],
                    extension_id=extension["id"])
        return
    # Under the application's lock: the same extension told twice (two events) makes one change
    if session.scalar(select(ChangeRequest.id).where(ChangeRequest.extension_id == extension["id"])) is not None:
        return
    now, end = datetime.now(UTC), date.fromisoformat(extension["end_date"])
    reason = (extension.get("reason") or "").strip() or f"The stay is extended to {end.isoformat()}."
    actor, correlationid = extension.get("requested_by") or application.applicant, event.get_extension("correlationid")
    kind = domain.kind_of(application.kind)
    form = application.form or {}
    try:
        form = kind.with_end(form, end)
        reference = kind.reference(session, application.school, form) if kind.reference is not None else None
        # Every refusal below is raised before the change touches anything: nothing to undo.
        change_requests.request(session, application, form, reason, actor=actor, now=now, reference=reference,
                                correlationid=correlationid, extension_id=extension["id"])
        return
    except (CannotExtend, domain.TransitionError) as exc:
        comment = str(exc)
    except domain.FormInvalid as exc:
        comment = in_words(exc.errors)
    change_requests.refused(session, application, form, reason, comment, actor=actor, now=now,
                            extension_id=extension["id"], correlationid=correlationid)


def in_words(errors: Any) -> str:
    """A form's errors as one line: "end_date: At most 8 days ...; itinerary.1.departure: ..."."""
    parts: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, path if key == "_schema" else f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            parts.append(f"{path}: {node}" if path else str(node))

    walk(errors, "")
    return "; ".join(parts)


HANDLERS = {"mobility.extension_requested": on_extension_requested}
