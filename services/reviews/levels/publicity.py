"""The publicity level (公示): the trip's notice is public for a number of official working days; staff may
object; an ICD officer decides each objection; with none upheld the level passes by itself when the period ends.

    {"type": "publicity", "working_days": 5, "role": "icd_officer", "scope": "university", "days": 5}

Its task stands "waiting" (in nobody's queue, never overdue) while the period runs; an objection opens it in the
role's queue, where "days" is the time to decide the objection. The period itself (the notice, its dates, the
objections) is services/reviews/publicity.py's: this module stays pure, like the other level types.

Outcomes at the decision endpoint (only while an objection is open):
    uphold_return  the objection holds: the application goes back to its applicant (changes requested)
    uphold_reject  the objection holds: the application is rejected
    dismiss        the objection does not hold: the period resumes, the task waits again
An upheld objection is logged as the decision it amounts to (return or reject, with the officer's comment);
a dismissal is logged on the objection only. The period's end is logged as an approval by "publicity".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.reviews.errors import Forbidden, Invalid
from services.reviews.levels.base import Act, Outcome, conclude
from services.reviews.levels.decision import DecisionLevel
from services.reviews.models import Decision, ReviewCase, ReviewTask
from services.reviews.roles import SUPERVISOR, refuse_self_review

REVIEWER = "publicity"  # who approves the level when its period ends: nobody in person
WAITING = "waiting"     # the task's status while the period runs (or is paused by nobody yet)
UPHOLD = {"uphold_return": "return", "uphold_reject": "reject"}  # outcome → the decision it amounts to


class PublicityLevel(DecisionLevel):
    name = "publicity"
    outcomes = {"uphold_return": "changes_requested", "uphold_reject": "rejected", "dismiss": "dismissed"}

    def validate(self, level: dict[str, Any]) -> None:
        super().validate(level)
        days = level.get("working_days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 30:
            raise Invalid("levels", "A publicity level needs 'working_days' between 1 and 30.")

    def open_task(self, case: ReviewCase, level: int, now: datetime) -> ReviewTask:
        """Waiting: publicity.opened() dates the period (and opens the task instead when the year's calendar is
        not known)."""
        task = super().open_task(case, level, now)
        task.status = WAITING
        return task

    def decide(self, case: ReviewCase, task: ReviewTask, act: Act, earlier: list[Decision],
               now: datetime) -> Outcome:
        """An officer's decision on the open objection (publicity.decided() checks there is one and records it
        on the objection and the notice)."""
        supervising = task.escalated_at is not None and act.role == SUPERVISOR.get(task.role)
        if task.claimed_by not in (None, act.reviewer) and not supervising:
            raise Forbidden(f"The task is claimed by {task.claimed_by}; only the claimer decides.")
        refuse_self_review(case.applicant, act.reviewer)
        if act.outcome in UPHOLD and not (act.comment or "").strip():
            raise Invalid("comment", "Say why: a comment is required to uphold an objection.")
        verb = UPHOLD.get(act.outcome, act.outcome)
        decision = Decision(application_id=case.application_id, task_id=task.id, round=case.round, level=task.level,
                            reviewer=act.reviewer, role=act.role, outcome=verb, comment=act.comment,
                            internal_note=act.internal_note, application_version=act.seen_version, decided_at=now)
        if act.outcome == "dismiss":
            task.status, task.claimed_by, task.claimed_at = WAITING, None, None
            case.updated_at = now
            return Outcome(decision, None, None, logged=False)
        return conclude(case, task, decision, DecisionLevel.outcomes, now)

    def passed(self, case: ReviewCase, task: ReviewTask, now: datetime) -> Outcome:
        """The period ended with no objection upheld: the level is approved by nobody in person."""
        decision = Decision(application_id=case.application_id, task_id=task.id, round=case.round, level=task.level,
                            reviewer=REVIEWER, role=task.role, outcome="approve", comment=None, internal_note=None,
                            application_version=case.application_version, decided_at=now)
        return conclude(case, task, decision, DecisionLevel.outcomes, now)


def objection_due_at(task: ReviewTask, spec: dict[str, Any], now: datetime) -> None:
    """An objection gives the officers the level's "days" to decide it."""
    task.due_at = now + timedelta(days=int(spec["days"]))
