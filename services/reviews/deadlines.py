"""Deadlines: overdue notices once per task per day, and escalation to the supervisor role after a while; and
publicity periods (公示) that end by themselves: each passed period approves its level, and the chain moves on
as after any approval (progression.record). A waiting publicity task is never overdue (its status is not open).

`check(session, now)` takes the clock as an argument (tests move it); the worker runs it periodically.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.reviews import domain, progression, publicity
from services.reviews.events import task_event
from services.reviews.models import ReviewTask

log = structlog.get_logger(__name__)


def check(session: Session, now: datetime, escalate_after_days: int, zone: str = publicity.OFFICE_ZONE,
          ) -> tuple[int, int]:
    """Returns (overdue notices sent, tasks escalated); ends the publicity periods that are over first (in the
    office's time zone), and opens those a newly entered calendar year unblocks."""
    end_publicity(session, now, zone)
    overdue = select(ReviewTask).where(ReviewTask.status.in_(("open", "claimed")), ReviewTask.due_at < now)
    if session.get_bind().dialect.name == "postgresql":
        overdue = overdue.with_for_update(skip_locked=True)  # two workers never notify twice
    notices = escalations = 0
    for task in session.scalars(overdue):
        notify, escalate = domain.deadline_actions(task, now, escalate_after_days)
        supervisor = domain.SUPERVISOR[task.role]
        if notify:
            task.overdue_notified_on = now.date()
            task_event(session, "review.task_overdue", task, None, claimed_by=task.claimed_by,
                       days_overdue=(now - task.due_at).days, supervisor_role=supervisor)
            notices += 1
        if escalate:
            task.escalated_at = now
            task_event(session, "review.task_escalated", task, None, claimed_by=task.claimed_by,
                       supervisor_role=supervisor, escalated_at=now)
            escalations += 1
    return notices, escalations


def end_publicity(session: Session, now: datetime, zone: str) -> int:
    """Every running period whose last day is over passes its level (approved by "publicity"); returns how many."""
    publicity.retry_blocked(session, now, zone)
    ended = 0
    for notice_id, application_id in publicity.due(session, now, zone):
        passed = publicity.end(session, notice_id, application_id, now, zone)
        if passed is not None:
            case, task, result = passed
            progression.record(session, case, task, result, reviewer_name=publicity.REVIEWER, comment=None,
                               now=now, correlationid=None, zone=zone)
            ended += 1
    if ended:
        log.info("publicity.ended", count=ended)
    return ended

