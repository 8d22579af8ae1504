"""Who reviews: the review roles, whom each escalates to, and the rule nobody reviews their own application."""

from __future__ import annotations

from typing import Any

from services.reviews.errors import Forbidden

ROLES = ("school_coordinator", "school_dean", "icd_officer", "vice_president")
SUPERVISOR = {"school_coordinator": "icd_officer", "school_dean": "icd_officer", "icd_officer": "admin",
              "vice_president": "admin"}
SUPERVISORS = frozenset({"icd_officer", "admin"})


def is_supervisor(roles: list[dict[str, Any]]) -> bool:
    return any(r.get("role") in SUPERVISORS for r in roles)


def reviewing(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The roles that work with review tasks (an admin's included), out of all someone holds."""
    return [r for r in roles if r.get("role") in (*ROLES, "admin")]


def refuse_self_review(applicant: str, reviewer: str) -> None:
    if applicant == reviewer:
        raise Forbidden("Nobody reviews their own application.")
