"""What the applications service does when an event arrives: one function per event type it reads.

The saga's applications side: review news moves the status, once, and announces the outcome.
Stale or repeated news (another version, an application withdrawn since) changes nothing: a decision names
exactly the content version it judged, which the saga's own status changes do not move.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.orm import Session, lazyload

from eventbus import outbox
from services.applications import approvals, change_requests, domain
from services.applications.events import application_event
from services.applications.models import Application

# The review's start needs the application's status and version only: its program (and the program's partners),
# which every other reader loads with it, waits until something asks for it: two statements fewer on the event
# every submission brings, for a kind filed under a program.
_STATUS_ONLY = (lazyload(Application.program),)


def on_review_task_created(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    application = session.get(Application, data["application_id"], with_for_update=True, options=_STATUS_ONLY)
    if application is not None:
        history = domain.start_review(application, data["application_version"], datetime.now(UTC))
        if history is not None:
            session.add(history)


def on_review_completed(session: Session, data: dict[str, Any], event: CloudEvent,
                        numbering: approvals.Numbering = approvals.DEFAULT_NUMBERING) -> None:
    application = session.get(Application, data["application_id"], with_for_update=True)
    if application is None:
        return
    now = datetime.now(UTC)
    if change_requests.on_completed(session, application, data, now, event.get_extension("correlationid")):
        return
    history = domain.complete_review(application, data["outcome"], data["application_version"],
                                     actor=data["decided_by"], comment=data.get("comment"), now=now)
    if history is None:
        return
    session.add(history)
    if application.status == "approved" and domain.kind_of(application.kind).approval_document:
        approvals.issue(session, application, now, numbering, decided={
            "level": data.get("level"), "decided_by": data["decided_by"], "decided_at": data["decided_at"]})
    outbox.add(session, application_event(
        f"application.{application.status}", application, application.program,
        correlationid=event.get_extension("correlationid"), decided_at=data["decided_at"],
        decided_by=data["decided_by"], comment=data.get("comment"),
    ))


HANDLERS = {"review.task_created": on_review_task_created, "review.completed": on_review_completed}
