"""Who may see and do what with mobility records, in one place.

The owner (the applicant, who acts for every traveller of their application) sees and acts on their records; the
school's reviewers (coordinator, dean) see their school's and review its reports and record recognitions; the ICD
(icd_officer), the vice president and admins see all, and the ICD and admins may act for a traveller. Anyone else
gets "not found".
"""

from __future__ import annotations

from chassis.tokens import Identity
from services.mobilities.models import Mobility

SCHOOL_REVIEWERS = frozenset({"school_coordinator", "school_dean"})
EVERYWHERE = frozenset({"icd_officer", "vice_president", "admin"})
OFFICE = frozenset({"icd_officer", "admin"})


def schools_reviewed(identity: Identity) -> set[str]:
    return {str(r["school"]) for r in identity.roles if r.get("role") in SCHOOL_REVIEWERS and r.get("school")}


def sees_all(identity: Identity) -> bool:
    return any(r.get("role") in EVERYWHERE for r in identity.roles)


def is_office(identity: Identity) -> bool:
    return any(r.get("role") in OFFICE for r in identity.roles)


def reviews_school(identity: Identity, record: Mobility) -> bool:
    return record.school in schools_reviewed(identity) and record.owner != identity.username


def can_read(identity: Identity, record: Mobility) -> bool:
    return record.owner == identity.username or sees_all(identity) or record.school in schools_reviewed(identity)


def can_act(identity: Identity, record: Mobility) -> bool:
    """Confirm departure and return, tick the checklist, upload, write the report: the owner or the office."""
    return record.owner == identity.username or is_office(identity)


def can_record_credits(identity: Identity, record: Mobility) -> bool:
    return reviews_school(identity, record) or is_office(identity)


def can_decide(identity: Identity, record: Mobility, stage: str) -> bool:
    if record.owner == identity.username:
        return False  # nobody reviews their own report
    return reviews_school(identity, record) if stage == "school" else identity.has_role("icd_officer")
