"""The statistics read model, fed by events: one function per event type, each writing only stats_* rows.

application.* events carry the application's status, version and `mobility` facts; the row keeps the newest
version seen, so repeated or late news changes nothing (the consumer's inbox already drops repeats).
review.task_created and review.decision_recorded give each review step its start and its decision; they may
arrive in either order. Nothing here reads the applications' own tables: the model is rebuilt from events.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy.orm import Session

from services.applications.models import MobilityFact, ReviewStep

APPLICATION_EVENTS = (
    "application.submitted", "application.resubmitted", "application.changes_requested",
    "application.approved", "application.rejected", "application.withdrawn",
)
_FACTS = ("direction", "people", "partner_id", "partner_name", "country", "region", "duration_days",
          "duration_band", "academic_year")


def _data(event: CloudEvent) -> dict[str, Any]:
    data = event.get_data()
    assert isinstance(data, dict)
    return data


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def on_application_event(session: Session, event: CloudEvent) -> None:
    data = _data(event)
    row = session.get(MobilityFact, data["application_id"], with_for_update=True)
    if row is not None and row.version >= data["version"]:
        # Older news than the row shows; a submission overtaken by its withdrawal still says when it was made.
        row.submitted_at = row.submitted_at or _instant(data.get("submitted_at"))
        return
    if row is None:
        row = MobilityFact(application_id=data["application_id"])
        session.add(row)
    facts = data.get("mobility") or {}
    row.version, row.kind, row.school, row.status = data["version"], data["kind"], data["school"], data["status"]
    for name in _FACTS:
        setattr(row, name, facts.get(name))
    row.people = facts.get("people", 1)
    row.direction = facts.get("direction", "")
    for name in ("start_date", "end_date"):
        setattr(row, name, date.fromisoformat(facts[name]) if facts.get(name) else None)
    row.submitted_at = row.submitted_at or _instant(data.get("submitted_at"))
    if data["status"] in ("approved", "rejected"):
        row.decided_at = _instant(data.get("decided_at"))
    row.withdrawn_at = _instant(data.get("withdrawn_at")) if data["status"] == "withdrawn" else None


def _step(session: Session, data: dict[str, Any]) -> ReviewStep:
    step = session.get(ReviewStep, data["task_id"], with_for_update=True)
    if step is None:
        step = ReviewStep(task_id=data["task_id"], application_id=data["application_id"], level=data["level"])
        session.add(step)
    return step


def on_review_task_created(session: Session, event: CloudEvent) -> None:
    _step(session, _data(event)).created_at = event.get_time()


def on_review_decision_recorded(session: Session, event: CloudEvent) -> None:
    data = _data(event)
    step = _step(session, data)
    step.decided_at, step.outcome = _instant(data["decided_at"]), data["outcome"]


HANDLERS = {
    **{event_type: on_application_event for event_type in APPLICATION_EVENTS},
    "review.task_created": on_review_task_created,
    "review.decision_recorded": on_review_decision_recorded,
}
