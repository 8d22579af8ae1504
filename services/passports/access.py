"""Who may see and do what with the register, in one place.

The passport clerk (`passport_clerk`) keeps the register: the only one who sees a whole number, hands passports out
and takes them back. Admins read it (masked), export the audit log and set the rules; the ICD and the vice president
read all of it, a school's reviewers (coordinator, dean) their school's, and a holder their own passports, always
masked. Anyone else gets "not found", so that the register does not tell who holds a passport.
"""

from __future__ import annotations

from chassis.tokens import Identity
from services.passports.models import Passport

CLERK = "passport_clerk"
SCHOOL_REVIEWERS = frozenset({"school_coordinator", "school_dean"})
EVERYWHERE = frozenset({CLERK, "icd_officer", "vice_president", "admin"})


def is_clerk(identity: Identity) -> bool:
    return identity.has_role(CLERK)


def is_admin(identity: Identity) -> bool:
    return identity.has_role("admin")


def sees_all(identity: Identity) -> bool:
    return any(r.get("role") in EVERYWHERE for r in identity.roles)


def schools_reviewed(identity: Identity) -> set[str]:
    return {str(r["school"]) for r in identity.roles if r.get("role") in SCHOOL_REVIEWERS and r.get("school")}


def can_read(identity: Identity, passport: Passport) -> bool:
    return (sees_all(identity) or passport.holder_username == identity.username
            or (passport.school is not None and passport.school in schools_reviewed(identity)))


def can_read_slip(identity: Identity, passport: Passport) -> bool:
    """The hand-out slip: the clerk who keeps it, an admin, and the holder it was handed to."""
    return is_clerk(identity) or is_admin(identity) or passport.holder_username == identity.username


def can_audit(identity: Identity) -> bool:
    """Read and export the audit log."""
    return is_clerk(identity) or is_admin(identity)


def can_set_rules(identity: Identity) -> bool:
    return is_clerk(identity) or is_admin(identity)


def can_read_rules(identity: Identity) -> bool:
    return can_set_rules(identity) or identity.has_role("icd_officer")
