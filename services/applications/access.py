"""Who may see and do what with applications and programs: the object-level checks, in one place.

An applicant sees their own; a reviewer sees submitted applications in their scope (their school for
school roles, every school for ICD, the vice president and admin). Anyone else gets "not found".
"""

from __future__ import annotations

from chassis.tokens import Identity
from services.applications.models import Application

SCHOOL_REVIEWERS = frozenset({"school_coordinator", "school_dean"})
UNIVERSITY_REVIEWERS = frozenset({"icd_officer", "vice_president", "admin"})
PROGRAM_MANAGERS = frozenset({"icd_officer", "admin"})


def review_scope(identity: Identity) -> tuple[bool, set[str]]:
    """(sees every school, the schools seen). Neither: not a reviewer."""
    everywhere = any(r.get("role") in UNIVERSITY_REVIEWERS for r in identity.roles)
    schools = {
        str(r["school"]) for r in identity.roles if r.get("role") in SCHOOL_REVIEWERS and r.get("school")
    }
    return everywhere, schools


def is_reviewer(identity: Identity) -> bool:
    everywhere, schools = review_scope(identity)
    return everywhere or bool(schools)


def can_review(identity: Identity, application: Application) -> bool:
    if application.status == "draft":
        return False
    everywhere, schools = review_scope(identity)
    return everywhere or application.school in schools


def can_read(identity: Identity, application: Application) -> bool:
    return application.applicant == identity.username or can_review(identity, application)


def is_owner(identity: Identity, application: Application) -> bool:
    return application.applicant == identity.username


def can_cancel(identity: Identity, application: Application) -> bool:
    """An approved application is cancelled by its applicant or by the office (ICD officer, admin)."""
    return is_owner(identity, application) or any(r.get("role") in PROGRAM_MANAGERS for r in identity.roles)


def can_manage_programs(identity: Identity) -> bool:
    return any(r.get("role") in PROGRAM_MANAGERS for r in identity.roles)


def may_file(identity: Identity, allowed_roles: frozenset[str]) -> bool:
    return any(r.get("role") in allowed_roles for r in identity.roles)
