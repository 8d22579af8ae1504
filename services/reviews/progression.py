"""The chain moving on, one path for every way a level is opened or decided: a submission (handlers), a
reviewer's decision (api), a publicity period that ends by itself (deadlines). Each writes the same rows and the
same review.* events: the task and review.task_created; the decision log entry and review.decision_recorded;
then the next level's task, or review.completed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.reviews import domain, publicity
from services.reviews.events import completed_event, task_event
from services.reviews.levels import Outcome
from services.reviews.models import ReviewCase, ReviewTask


def open_level(session: Session, case: ReviewCase, level: int, now: datetime, correlationid: str | None,
               zone: str) -> ReviewTask:
    """The level's task; a publicity level's period is dated with it (its task then waits: the event says so,
    so that nobody is asked to act on it)."""
    task = domain.open_task(case, level, now)
    session.add(task)
    notice = publicity.schedule(session, case, task, now, zone) if task.type == "publicity" else None
    task_event(session, "review.task_created", task, correlationid, case=case,
               **({} if task.status == "open" else {"status": task.status}))
    if notice is not None:
        publicity.announce(session, case, notice, correlationid)
    return task


def after_decision(session: Session, case: ReviewCase, task: ReviewTask, result: Outcome, *, reviewer_name: str,
                   comment: str | None, now: datetime, correlationid: str | None, zone: str) -> None:
    """What follows a reviewer's decision: on a publicity level, the objection it settles first; then record()."""
    if task.type == "publicity":
        publicity.decided(session, case, task, result.decision.outcome, reviewer=result.decision.reviewer,
                          comment=comment, now=now, zone=zone, correlationid=correlationid)
    record(session, case, task, result, reviewer_name=reviewer_name, comment=comment, now=now,
           correlationid=correlationid, zone=zone)


def record(session: Session, case: ReviewCase, task: ReviewTask, result: Outcome, *, reviewer_name: str,
           comment: str | None, now: datetime, correlationid: str | None, zone: str) -> None:
    """The decision log entry and its event, then the next level or the review's end (nothing for an act that
    decides nothing in the chain)."""
    if not result.logged:
        return
    decision = result.decision
    session.add(decision)
    task_event(session, "review.decision_recorded", task, correlationid, case=case, reviewer=decision.reviewer,
               reviewer_name=reviewer_name, outcome=decision.outcome, comment=comment, decided_at=now)
    if result.next_level is not None:
        open_level(session, case, result.next_level, now, correlationid, zone)
    else:
        completed_event(session, case, level=task.level, decided_by=decision.reviewer, comment=comment,
                        decided_at=now, correlationid=correlationid)
