"""Deadlines: overdue notices once per task per day, and escalation to the supervisor role after a while.

`check(session, now)` takes the clock as an argument (tests move it); the worker runs it periodically.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.reviews import domain
from services.reviews.events import task_event
from services.reviews.models import ReviewTask

log = structlog.get_logger(__name__)


def check(session: Session, now: datetime, escalate_after_days: int) -> tuple[int, int]:
    """Returns (overdue notices sent, tasks escalated)."""
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


class Deadlines:
    """The worker component: checks deadlines every `interval` seconds."""

    def __init__(self, engine: Engine, escalate_after_days: int, interval: float) -> None:
        self.sessions = sessionmaker(bind=engine)
        self.escalate_after_days = escalate_after_days
        self.interval = interval

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with self.sessions() as session, session.begin():
                    notices, escalations = check(session, datetime.now(UTC), self.escalate_after_days)
                if notices or escalations:
                    log.info("deadlines.checked", overdue=notices, escalated=escalations)
            except Exception as exc:  # database down: next round
                log.warning("deadlines.error", error=repr(exc))
            stop.wait(self.interval)
