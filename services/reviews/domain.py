"""Review rules, pure Python: chains and their conditions, who may act on a task, decisions, deadlines.

A case runs the levels of the chain version it was submitted under that apply to the application
(a level's condition is checked once, at submission, on the facts the event carries). Approve moves to
the next level or completes the case; reject completes it; return completes it as changes requested,
and the resubmission starts a new round at the level that returned it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from services.reviews.models import Decision, ReviewCase, ReviewTask

DEFAULT_CHAINS: dict[str, list[dict[str, Any]]] = {
    "student_exchange": [
        {"role": "school_coordinator", "scope": "school", "days": 5},
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
    ],
    "faculty_exchange": [
        {"role": "school_coordinator", "scope": "school", "days": 5},
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
        {"role": "vice_president", "scope": "university", "days": 7,
         "condition": {"any": [{"duration_days_over": 30}, {"budget_over": "50000.00"}]}},
    ],
    "foreign_expert": [
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
        {"role": "vice_president", "scope": "university", "days": 7},
    ],
    "hosted_event": [
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
    ],
}
ROLES = ("school_coordinator", "school_dean", "icd_officer", "vice_president")
SUPERVISOR = {"school_coordinator": "icd_officer", "school_dean": "icd_officer", "icd_officer": "admin",
              "vice_president": "admin"}
SUPERVISORS = frozenset({"icd_officer", "admin"})
def is_supervisor(roles: list[dict[str, Any]]) -> bool:
    return any(r.get("role") in SUPERVISORS for r in roles)


def refuse_self_review(applicant: str, reviewer: str) -> None:
    if applicant == reviewer:
        raise Forbidden("Nobody reviews their own application.")


OUTCOMES = {"approve": "approved", "reject": "rejected", "return": "changes_requested"}


class ReviewError(Exception):
    status = 409


class Forbidden(ReviewError):
    status = 403


class Conflict(ReviewError):
    status = 409


class Invalid(ReviewError):
    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.errors = {field: [message]}


# -- chains ----------------------------------------------------------------------------------------

def condition_holds(condition: dict[str, Any] | None, facts: dict[str, Any]) -> bool:
    """A level's condition: {"any": [predicate, ...]}; predicates: duration_days_over, budget_over."""
    if not condition:
        return True
    return any(_predicate(p, facts) for p in condition.get("any", []))


def _predicate(predicate: dict[str, Any], facts: dict[str, Any]) -> bool:
    if "duration_days_over" in predicate:
        days = facts.get("duration_days")
        return days is not None and int(days) > int(predicate["duration_days_over"])
    if "budget_over" in predicate:
        try:
            return Decimal(str(facts.get("budget"))) > Decimal(str(predicate["budget_over"]))
        except (InvalidOperation, TypeError):
            return False
    raise ValueError(f"unknown condition {predicate!r}")


def validate_levels(levels: list[dict[str, Any]]) -> None:
    for level in levels:
        if level.get("role") not in ROLES or level.get("scope") not in ("school", "university"):
            raise Invalid("levels", "Each level needs a known role and a scope of 'school' or 'university'.")
        if not isinstance(level.get("days"), int) or not 1 <= level["days"] <= 60:
            raise Invalid("levels", "Each level needs 'days' between 1 and 60.")
        condition = level.get("condition")
        if condition is not None:
            known = ({"duration_days_over"}, {"budget_over"})
            if set(condition) != {"any"} or not condition["any"] or any(
                    not isinstance(p, dict) or set(p) not in known or not _value_ok(p) for p in condition["any"]):
                raise Invalid("levels", 'A condition is {"any": [{"duration_days_over": N} | {"budget_over": "X"}]}.')


def _value_ok(predicate: dict[str, Any]) -> bool:
    try:
        if "duration_days_over" in predicate:
            return isinstance(predicate["duration_days_over"], int)
        Decimal(str(predicate["budget_over"]))
        return True
    except InvalidOperation:
        return False


def applicable_levels(levels: list[dict[str, Any]], facts: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(level) for level in levels if condition_holds(level.get("condition"), facts)]


# -- cases and tasks -------------------------------------------------------------------------------

def open_task(case: ReviewCase, level: int, now: datetime) -> ReviewTask:
    spec = case.levels[level - 1]
    return ReviewTask(
        id=str(uuid.uuid4()), application_id=case.application_id, application_version=case.application_version,
        kind=case.kind, program_id=case.program_id, title=case.title, applicant=case.applicant, round=case.round,
        level=level, role=spec["role"], school=case.school if spec["scope"] == "school" else None, status="open",
        due_at=now + timedelta(days=int(spec["days"])), created_at=now,
    )


def covers(roles: list[dict[str, Any]], task: ReviewTask) -> bool:
    """Whether someone with these roles may act on the task (its role, in its school or university-wide);
    the supervisor of the task's role may too, once it has escalated."""
    for r in roles:
        scope_ok = r.get("school") is None or task.school is None or r.get("school") == task.school
        if r.get("role") == task.role and scope_ok:
            return True
        if task.escalated_at is not None and r.get("role") == SUPERVISOR.get(task.role):
            return True
        if r.get("role") == "admin":
            return True
    return False


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    next_level: int | None      # approve with more levels to go
    completed: str | None       # approved | rejected | changes_requested


def decide(
    case: ReviewCase, task: ReviewTask, *, reviewer: str, role: str, outcome: str, comment: str | None,
    internal_note: str | None, seen_version: int, earlier: list[Decision], now: datetime,
) -> Outcome:
    if outcome not in OUTCOMES:
        raise Invalid("outcome", "One of: approve, reject, return.")
    if task.status not in ("open", "claimed") or case.status != "open":
        raise Conflict("This task has been decided already.")
    supervising = task.escalated_at is not None and role == SUPERVISOR.get(task.role)
    if task.claimed_by not in (None, reviewer) and not supervising:
        raise Forbidden(f"The task is claimed by {task.claimed_by}; only the claimer decides.")
    refuse_self_review(case.applicant, reviewer)
    # The reviewers decide on the submitted version v; the application shows v+1 while in review.
    if seen_version not in (case.application_version, case.application_version + 1):
        raise Conflict(f"The decision names version {seen_version}, but version {case.application_version} is "
                       "under review; reload the application.")
    if outcome in ("reject", "return") and not (comment or "").strip():
        raise Invalid("comment", "Say why: a comment is required to reject or return.")
    if outcome == "approve" and any(d.reviewer == reviewer and d.outcome == "approve" and d.level != task.level
                                    for d in earlier):
        raise Forbidden("You approved another level of this application already; someone else must approve this one.")
    decision = Decision(application_id=case.application_id, task_id=task.id, round=case.round, level=task.level,
                        reviewer=reviewer, role=role, outcome=outcome, comment=comment, internal_note=internal_note,
                        application_version=seen_version, decided_at=now)
    task.status, task.outcome, task.decided_at, task.claimed_by = "done", OUTCOMES[outcome], now, reviewer
    case.updated_at = now
    if outcome == "approve" and task.level < len(case.levels):
        return Outcome(decision, task.level + 1, None)
    case.status = OUTCOMES[outcome]
    if outcome == "return":
        case.return_level = task.level
    return Outcome(decision, None, case.status)


def restart(case: ReviewCase, application_version: int, now: datetime) -> int:
    """A resubmission after changes were requested: a new round at the level that returned it."""
    case.round += 1
    case.application_version = application_version
    case.status = "open"
    case.updated_at = now
    return case.return_level or 1


# -- deadlines -------------------------------------------------------------------------------------

def deadline_actions(task: ReviewTask, now: datetime, escalate_after_days: int) -> tuple[bool, bool]:
    """(send an overdue notice today, escalate now) for an undecided task."""
    if task.status not in ("open", "claimed") or now <= task.due_at:
        return False, False
    notify = task.overdue_notified_on != now.date()
    escalate = task.escalated_at is None and now - task.due_at >= timedelta(days=escalate_after_days)
    return notify, escalate
