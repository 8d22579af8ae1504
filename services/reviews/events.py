"""The review.* events, built from a task (and, for outcomes, from its case)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from eventbus import envelope, outbox
from services.reviews.models import ReviewCase, ReviewTask

SOURCE = "/services/reviews"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _aggregate_version(case: ReviewCase | None, application_version: int) -> int:
    """The application's revision the case is reviewing: the aggregateversion of the submission it answers, so
    one subject's events keep one counter (an older case, before revisions, has the version it reviews)."""
    return case.revision if case is not None and case.revision is not None else application_version


def task_event(session: Session, event_type: str, task: ReviewTask, correlationid: str | None, *,
               case: ReviewCase | None = None, **extra: Any) -> None:
    """The task's event into the outbox; `case`, the task's case where the caller holds it (else it is read)."""
    data = {
        "task_id": task.id, "application_id": task.application_id, "application_version": task.application_version,
        "kind": task.kind, "round": task.round, "level": task.level, "role": task.role, "school": task.school,
        "applicant": task.applicant, "title": task.title, "due_at": task.due_at.isoformat(),
        **{k: _plain(v) for k, v in extra.items()},
    }
    case = case if case is not None else session.get(ReviewCase, task.application_id)
    version = _aggregate_version(case, task.application_version)
    outbox.add(session, envelope.new_event(event_type, SOURCE, task.application_id, data,
                                           correlationid=correlationid, aggregateversion=version))


def completed_event(
    session: Session, case: ReviewCase, *, level: int, decided_by: str, comment: str | None, decided_at: datetime,
    correlationid: str | None,
) -> None:
    data = {
        "application_id": case.application_id, "application_version": case.application_version,
        "outcome": case.status, "level": level, "comment": comment, "decided_by": decided_by,
        "decided_at": decided_at.isoformat(),
    }
    outbox.add(session, envelope.new_event("review.completed", SOURCE, case.application_id, data,
                                           correlationid=correlationid,
                                           aggregateversion=_aggregate_version(case, case.application_version)))
