"""What the reviews service does when an event arrives: one function per event type."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.orm import Session

from eventbus import envelope, outbox
from services.reviews import domain

SOURCE = "/services/reviews"


def on_application_submitted(session: Session, event: CloudEvent) -> None:
    submitted = event.get_data()
    assert isinstance(submitted, dict)
    task = domain.open_first_task(submitted, datetime.now(UTC))
    session.add(task)
    outbox.add(session, envelope.new_event(
        "review.task_created", SOURCE, task.application_id,
        {
            "task_id": task.id,
            "application_id": task.application_id,
            "application_version": task.application_version,
            "kind": task.kind,
            "level": task.level,
            "role": task.role,
            "school": task.school,
            "applicant": task.applicant,
            "title": task.title,
            "due_at": task.due_at.isoformat(),
        },
        correlationid=event.get_extension("correlationid"),
        aggregateversion=task.application_version,
    ))


HANDLERS = {"application.submitted": on_application_submitted}
