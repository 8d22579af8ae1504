"""Who may see and do what in the placements service, in one place.

The ICD (`icd_officer`) and admins keep the agreements and the places, run the selection and nominate; every member
of staff (a school's coordinator or dean, the ICD, the vice president, admins) reads agreements and places; a
school's coordinator scores the candidates of their school; a student answers their own offers.
"""

from __future__ import annotations

from chassis.tokens import Identity

OFFICE = frozenset({"icd_officer", "admin"})
SCHOOL_STAFF = frozenset({"school_coordinator", "school_dean"})
STAFF = OFFICE | SCHOOL_STAFF | {"vice_president"}


def _has_any(identity: Identity, roles: frozenset[str]) -> bool:
    return any(r.get("role") in roles for r in identity.roles)


def is_office(identity: Identity) -> bool:
    """The ICD or an admin: writes agreements and places, runs rounds, allocations and nominations."""
    return _has_any(identity, OFFICE)


def is_staff(identity: Identity) -> bool:
    return _has_any(identity, STAFF)


def can_write_places(identity: Identity) -> bool:
    return is_office(identity)


def can_read_places(identity: Identity) -> bool:
    return is_staff(identity)


def can_write_agreements(identity: Identity) -> bool:
    return is_office(identity)


def can_read_agreements(identity: Identity) -> bool:
    return is_staff(identity)


def schools_seen(identity: Identity) -> set[str] | None:
    """The schools whose students this member of staff reads: None for every school (the office, the vice
    president), else the schools they serve as a coordinator or dean (possibly none). Rounds, offers and
    nominations filter school staff by it, so a coordinator of school A never reads school B's students."""
    if is_office(identity) or _has_any(identity, frozenset({"vice_president"})):
        return None
    return {str(r["school"]) for r in identity.roles if r.get("role") in SCHOOL_STAFF and r.get("school")}


def sees_school(identity: Identity, school: str | None) -> bool:
    """May this member of staff read a student of `school`? (Not staff at all: no.)"""
    if not is_staff(identity):
        return False
    seen = schools_seen(identity)
    return seen is None or (school is not None and school in seen)


def schools_coordinated(identity: Identity) -> set[str]:
    return {str(r["school"]) for r in identity.roles if r.get("role") == "school_coordinator" and r.get("school")}


def can_score(identity: Identity, school: str | None) -> bool:
    """The ICD and admins score every candidate; a coordinator those of their school."""
    return is_office(identity) or (school is not None and school in schools_coordinated(identity))
