"""What the applications service does when an event arrives: one function per event type."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.orm import Session

from services.applications import domain
from services.applications.models import Application


def on_review_task_created(session: Session, event: CloudEvent) -> None:
    data = event.get_data()
    assert isinstance(data, dict)
    if data["level"] != 1:
        return
    application = session.get(Application, data["application_id"], with_for_update=True)
    if application is not None:
        domain.start_review(application, data["application_version"], datetime.now(UTC))


HANDLERS = {"review.task_created": on_review_task_created}
