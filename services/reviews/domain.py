"""Review rules, pure Python: the chain's first level per kind and the task it opens.

The walking skeleton knows one level per kind; the Reviews issue turns chains into versioned data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.reviews.models import ReviewTask


@dataclass(frozen=True)
class Level:
    role: str
    school_scoped: bool
    days: int


FIRST_LEVEL = {
    "student_exchange": Level("school_coordinator", True, 5),
    "faculty_exchange": Level("school_coordinator", True, 5),
    "foreign_expert": Level("school_dean", True, 5),
    "hosted_event": Level("school_dean", True, 5),
}


def open_first_task(submitted: dict[str, Any], now: datetime) -> ReviewTask:
    level = FIRST_LEVEL[submitted["kind"]]
    return ReviewTask(
        id=str(uuid.uuid4()),
        application_id=submitted["application_id"],
        application_version=submitted["version"],
        kind=submitted["kind"],
        title=submitted.get("title", ""),
        applicant=submitted["applicant"],
        level=1,
        role=level.role,
        school=submitted["school"] if level.school_scoped else None,
        status="open",
        due_at=now + timedelta(days=level.days),
        created_at=now,
    )


def visible_to(roles: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(role, school) pairs a reviewer's queue covers; a university-wide role sees every school."""
    return [(r["role"], r.get("school")) for r in roles if r.get("role")]
