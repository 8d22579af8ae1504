"""Review rules, pure Python: chains and their conditions, who may act on a task, decisions, task status,
deadlines.

A case runs the levels of the chain version it was submitted under that apply to the application
(a level's condition is checked once, at submission, on the facts the event carries: conditions.py). Each
level has a type (levels/): the type opens its task, says who may act on it and what a decision does.
For a decision level, approve moves to the next level or completes the case; reject completes it; return
completes it as changes requested, and the resubmission starts a new round at the level that returned it.
Reviewers bind a decision to the application's version: it moves only when the applicant edits.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from eventbus import catalog
from services.reviews import conditions, levels
from services.reviews.errors import Conflict, Forbidden, Invalid, ReviewError
from services.reviews.levels import Outcome
from services.reviews.models import Decision, ReviewCase, ReviewTask
from services.reviews.roles import ROLES, SUPERVISOR, SUPERVISORS, is_supervisor, refuse_self_review, reviewing

__all__ = ["ROLES", "SUPERVISOR", "SUPERVISORS", "Conflict", "Forbidden", "Invalid", "Outcome", "ReviewError",
           "is_supervisor", "refuse_self_review"]

OPEN = ("open", "claimed")
KIND_PATTERN = catalog.kind_pattern()  # the event catalog's `kind`: an open set of names


# -- chains ----------------------------------------------------------------------------------------

def validate_kind(kind: str) -> None:
    if not re.fullmatch(KIND_PATTERN, kind):
        raise Invalid("kind", "A kind is named by 2 to 40 lowercase letters, digits or _, beginning with a letter.")


def condition_holds(condition: dict[str, Any] | None, facts: dict[str, Any]) -> bool:
    """A level's condition ({"any": [predicate, ...]}, names from conditions.CONDITIONS) on the event data."""
    return conditions.holds(condition, facts)


def validate_levels(chain: list[dict[str, Any]]) -> None:
    """A chain's levels, each checked by its type, with a condition from the table (422 otherwise)."""
    if not isinstance(chain, list) or not chain:
        raise Invalid("levels", "A chain has at least one level.")
    for level in chain:
        if not isinstance(level, dict):
            raise Invalid("levels", "Each level is an object.")
        levels.of_level(level).validate(level)
        conditions.validate(level.get("condition"))
    # A case keeps one publicity period per round: a second would collide with the first (and fail the sweep).
    if sum(1 for level in chain if level.get("type") == "publicity") > 1:
        raise Invalid("levels", "A chain has at most one publicity level.")


def applicable_levels(chain: list[dict[str, Any]], facts: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(level) for level in chain if condition_holds(level.get("condition"), facts)]


# -- cases and tasks -------------------------------------------------------------------------------

def open_task(case: ReviewCase, level: int, now: datetime) -> ReviewTask:
    return levels.of_level(case.levels[level - 1]).open_task(case, level, now)


def covers(roles: list[dict[str, Any]], task: ReviewTask) -> bool:
    """Whether someone with these roles may act on the task (as its level type says)."""
    return levels.of_task(task).covers(roles, task)


def acting_role(identity_roles: list[dict[str, Any]], task: ReviewTask) -> str:
    """The role in which someone acts on the task, out of the roles they hold (recorded on the decision)."""
    return levels.of_task(task).acting_role(reviewing(identity_roles), task)


def decide(
    case: ReviewCase, task: ReviewTask, *, reviewer: str, role: str, outcome: str, comment: str | None,
    internal_note: str | None, seen_version: int, earlier: list[Decision], now: datetime,
) -> Outcome:
    level_type = levels.of_task(task)
    if outcome not in level_type.outcomes:
        raise Invalid("outcome", f"One of: {', '.join(level_type.outcomes)}.")
    refuse_late(case, task)
    # The version moves only when the applicant edits, so the one under review is the one reviewers saw.
    if seen_version != case.application_version:
        raise Conflict(f"The decision names version {seen_version}, but version {case.application_version} is "
                       "under review; reload the application.")
    act = levels.Act(reviewer=reviewer, role=role, outcome=outcome, comment=comment, internal_note=internal_note,
                     seen_version=seen_version)
    return level_type.decide(case, task, act, earlier, now)


def refuse_late(case: ReviewCase, task: ReviewTask) -> None:
    """A decision on a task no longer open is refused in words that say who got there first (the problem
    carries decided_by and decided_at, so a page can word it in its language and zone)."""
    if task.status == "done" and task.decided_at is not None:
        raise Conflict(f"This task has been decided already, by {task.claimed_by} at {task.decided_at:%Y-%m-%d %H:%M} "
                       "UTC; your decision was not recorded.", decided_by=task.claimed_by,
                       decided_at=task.decided_at.isoformat(), outcome=task.outcome)
    if task.status not in OPEN or case.status != "open":
        raise Conflict(f"This task is {task.status}; your decision was not recorded.", task_status=task.status)


def may_claim(task: ReviewTask, username: str, roles: list[dict[str, Any]]) -> bool:
    """Whether Claim is offered: an open task in the caller's roles and scope, not their own application."""
    return task.status == "open" and task.applicant != username and covers(reviewing(roles), task)


def may_decide(task: ReviewTask, username: str, roles: list[dict[str, Any]]) -> bool:
    """Whether the decision form is offered: an undecided task the caller covers, unclaimed or claimed by
    them, or escalated to them as the supervisor of its role (the same rules decide() applies)."""
    held = reviewing(roles)
    if task.status not in OPEN or task.applicant == username or not covers(held, task):
        return False
    supervising = task.escalated_at is not None and any(r.get("role") == SUPERVISOR.get(task.role) for r in held)
    return task.claimed_by in (None, username) or supervising


def restart(case: ReviewCase, application_version: int, now: datetime) -> int:
    """A resubmission after changes were requested: a new round at the level that returned it."""
    case.round += 1
    case.application_version = application_version
    case.status = "open"
    case.updated_at = now
    return case.return_level or 1


def is_news(case: ReviewCase, version: int, revision: int | None) -> bool:
    """Whether a submission for an existing case starts its next round: only after changes were requested,
    and only when it is newer than what the case has seen. The application's revision (aggregateversion)
    moves on every change; the version only on edits, so a resubmission without edits keeps it."""
    if case.status != "changes_requested":
        return False
    if revision is not None and case.revision is not None:
        return revision > case.revision
    return version >= case.application_version  # news without a revision (older events): it never goes back


def seen(case: ReviewCase, revision: int | None) -> None:
    if revision is not None:
        case.revision = max(revision, case.revision or 0)


# -- task status -----------------------------------------------------------------------------------

def claim(task: ReviewTask, username: str) -> bool:
    """Take an open task (False: it was mine already, nothing changes)."""
    if task.status == "claimed" and task.claimed_by == username:
        return False
    if task.status != "open":
        raise Conflict(f"The task is {task.status}" + (f" by {task.claimed_by}." if task.claimed_by else "."))
    refuse_self_review(task.applicant, username)
    task.status, task.claimed_by = "claimed", username
    return True


def release(task: ReviewTask, username: str, roles: list[dict[str, Any]]) -> None:
    """Give back a claimed task: the claimer, or a supervisor."""
    if task.status != "claimed" or (task.claimed_by != username and not is_supervisor(roles)):
        raise Conflict("Only a task you claimed can be released.")
    task.status, task.claimed_by = "open", None


def reassign(task: ReviewTask, to: str, roles: list[dict[str, Any]]) -> None:
    """A supervisor hands an undecided task to someone (never to its applicant)."""
    if not is_supervisor(roles):
        raise Forbidden("Only a supervisor (ICD officer, admin) reassigns tasks.")
    if task.status not in OPEN:
        raise Conflict(f"The task is {task.status}.")
    refuse_self_review(task.applicant, to)
    task.status, task.claimed_by = "claimed", to


# -- deadlines -------------------------------------------------------------------------------------

def deadline_actions(task: ReviewTask, now: datetime, escalate_after_days: int) -> tuple[bool, bool]:
    """(send an overdue notice today, escalate now) for an undecided task."""
    if task.status not in OPEN or now <= task.due_at:
        return False, False
    notify = task.overdue_notified_on != now.date()
    escalate = task.escalated_at is None and now - task.due_at >= timedelta(days=escalate_after_days)
    return notify, escalate
