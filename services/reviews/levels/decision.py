"""The decision level: reviewers in a role (in the school or university-wide) approve, reject or return.

    {"type": "decision", "role": "school_dean", "scope": "school", "days": 5, "condition": {...}}

"type" may be left out: a level without one is a decision level.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from services.reviews.errors import Forbidden, Invalid
from services.reviews.levels.base import Act, Outcome, conclude
from services.reviews.models import Decision, ReviewCase, ReviewTask
from services.reviews.roles import ROLES, SUPERVISOR, refuse_self_review


class DecisionLevel:
    name = "decision"
    outcomes = {"approve": "approved", "reject": "rejected", "return": "changes_requested"}

    def validate(self, level: dict[str, Any]) -> None:
        if level.get("role") not in ROLES or level.get("scope") not in ("school", "university"):
            raise Invalid("levels", "Each level needs a known role and a scope of 'school' or 'university'.")
        if not isinstance(level.get("days"), int) or not 1 <= level["days"] <= 60:
            raise Invalid("levels", "Each level needs 'days' between 1 and 60.")

    def open_task(self, case: ReviewCase, level: int, now: datetime) -> ReviewTask:
        spec = case.levels[level - 1]
        return ReviewTask(
            id=str(uuid.uuid4()), application_id=case.application_id, application_version=case.application_version,
            kind=case.kind, program_id=case.program_id, title=case.title, applicant=case.applicant,
            applicant_name=case.applicant_name or "",
            round=case.round, level=level, type=self.name, role=spec["role"],
            school=case.school if spec["scope"] == "school" else None, status="open",
            due_at=now + timedelta(days=int(spec["days"])), created_at=now,
        )

    def covers(self, roles: list[dict[str, Any]], task: ReviewTask) -> bool:
        """Its role, in its school or university-wide; the supervisor of that role too, once it has
        escalated; an admin always."""
        for r in roles:
            scope_ok = r.get("school") is None or task.school is None or r.get("school") == task.school
            if r.get("role") == task.role and scope_ok:
                return True
            if task.escalated_at is not None and r.get("role") == SUPERVISOR.get(task.role):
                return True
            if r.get("role") == "admin":
                return True
        return False

    def acting_role(self, roles: list[dict[str, Any]], task: ReviewTask) -> str:
        """The task's own role when one held covers its school; else the supervisor's; else the first held."""
        if any(r.get("role") == task.role and (task.school is None or r.get("school") in (None, task.school))
               for r in roles):
            return task.role
        names = [r["role"] for r in roles]
        return SUPERVISOR[task.role] if SUPERVISOR[task.role] in names else names[0]

    def decide(self, case: ReviewCase, task: ReviewTask, act: Act, earlier: list[Decision],
               now: datetime) -> Outcome:
        supervising = task.escalated_at is not None and act.role == SUPERVISOR.get(task.role)
        if task.claimed_by not in (None, act.reviewer) and not supervising:
            raise Forbidden(f"The task is claimed by {task.claimed_by}; only the claimer decides.")
        refuse_self_review(case.applicant, act.reviewer)
        if act.outcome in ("reject", "return") and not (act.comment or "").strip():
            raise Invalid("comment", "Say why: a comment is required to reject or return.")
        if act.outcome == "approve" and any(d.reviewer == act.reviewer and d.outcome == "approve"
                                            and d.level != task.level for d in earlier):
            raise Forbidden("You approved another level of this application already; someone else must approve "
                            "this one.")
        decision = Decision(application_id=case.application_id, task_id=task.id, round=case.round, level=task.level,
                            reviewer=act.reviewer, role=act.role, outcome=act.outcome, comment=act.comment,
                            internal_note=act.internal_note, application_version=act.seen_version, decided_at=now)
        return conclude(case, task, decision, self.outcomes, now)
