"""Roles and review scopes in words, in the page's language (the admin pages choose from them; the chain
editor's preview reads them). The codes stay the accounts' and the services' own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from gateway.identity import ROLES

ROLE_NAMES = {
    "student": _l("Student"), "teacher": _l("Teacher"), "staff": _l("Staff member"),
    "school_coordinator": _l("School coordinator"), "school_dean": _l("School dean"),
    "icd_officer": _l("ICD officer"), "vice_president": _l("Vice president"), "admin": _l("Administrator"),
    "passport_clerk": _l("Passport clerk"),
}
REVIEW_ROLES = ("school_coordinator", "school_dean", "icd_officer", "vice_president")  # who a chain level names
SCOPE_NAMES = {"school": _l("the applicant's school"), "university": _l("the whole university")}
SCHOOL_ROLES = tuple(r for r, scoped in ROLES.items() if scoped)


def role(code: str) -> str:
    return str(ROLE_NAMES.get(code, code))


def scope(code: str) -> str:
    return str(SCOPE_NAMES.get(code, code))
