"""What a level type is: the protocol every entry of the registry implements, and the steps types share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.reviews.models import Decision, ReviewCase, ReviewTask


@dataclass(frozen=True)
class Act:
    """Someone acting on a task: who, in which role, what they decided and on which version."""

    reviewer: str
    role: str
    outcome: str
    comment: str | None
    internal_note: str | None
    seen_version: int


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    next_level: int | None      # approve with more levels to go
    completed: str | None       # approved | rejected | changes_requested
    logged: bool = True         # False: an act that decides nothing in the chain (a publicity objection dismissed)


class LevelType(Protocol):
    """One kind of level in a chain. Its name is the level's "type" ("decision" when a level names none)."""

    name: str
    outcomes: Mapping[str, str]  # the outcomes it accepts → what the task records (approve → approved)

    def validate(self, level: dict[str, Any]) -> None:
        """Refuse (errors.Invalid) a level of this type that cannot work."""

    def open_task(self, case: ReviewCase, level: int, now: datetime) -> ReviewTask:
        """The task that stands for this level of the case."""

    def covers(self, roles: list[dict[str, Any]], task: ReviewTask) -> bool:
        """Whether someone with these roles may act on the task."""

    def acting_role(self, roles: list[dict[str, Any]], task: ReviewTask) -> str:
        """The role, out of these, in which someone who may act on the task acts (recorded on the decision)."""

    def decide(self, case: ReviewCase, task: ReviewTask, act: Act, earlier: list[Decision],
               now: datetime) -> Outcome:
        """Record the act on an open task of an open case at the version under review, and say what follows."""


def conclude(case: ReviewCase, task: ReviewTask, decision: Decision, outcomes: Mapping[str, str],
             now: datetime) -> Outcome:
    """Close the task with the decision's outcome: approve goes on to the next level or completes the case;
    anything else completes it (a return remembers the level, where the next round starts)."""
    task.status, task.outcome, task.decided_at, task.claimed_by = "done", outcomes[decision.outcome], now, \
        decision.reviewer
    case.updated_at = now
    if decision.outcome == "approve" and task.level < len(case.levels):
        return Outcome(decision, task.level + 1, None)
    case.status = outcomes[decision.outcome]
    if decision.outcome == "return":
        case.return_level = task.level
    return Outcome(decision, None, case.status)
