"""Demo accounts (password `demo`), created only by `mobility run` and `mobility seed-demo`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway import identity
from gateway.models import School, User

PASSWORD = "demo"


def _r(role: str, school: str | None = None) -> dict[str, str | None]:
    return {"role": role, "school": school}


# username: (display name, school, locale, roles)
ACCOUNTS = {
    "alice": ("Alice Wang", "cs", "en", [_r("student", "cs")]),
    "bob": ("Bob Zhang", "cs", "zh", [_r("student", "cs")]),
    "chen": ("Chen Jing", "me", "zh", [_r("student", "me")]),
    # Four more students for the demo's selection round (mobility/demo_placements.py): seven compete for five places.
    "diana": ("Diana Sun", "cs", "en", [_r("student", "cs")]),
    "feng": ("Feng Lei", "cs", "zh", [_r("student", "cs")]),
    "gu": ("Gu Yue", "me", "zh", [_r("student", "me")]),
    "hana": ("Hana Xu", "me", "en", [_r("student", "me")]),
    "prof.li": ("Li Wei", "cs", "zh", [_r("teacher", "cs")]),
    "coord.cs": ("CS Foreign Affairs Coordinator", "cs", "zh", [_r("school_coordinator", "cs")]),
    "dean.cs": ("CS Dean for Foreign Affairs", "cs", "zh", [_r("school_dean", "cs")]),
    "coord.me": ("ME Foreign Affairs Coordinator", "me", "zh", [_r("school_coordinator", "me")]),
    "dean.me": ("ME Dean for Foreign Affairs", "me", "zh", [_r("school_dean", "me")]),
    "icd.officer": ("ICD Officer", None, "zh", [_r("icd_officer")]),
    "vp.fa": ("Vice President for Foreign Affairs", None, "zh", [_r("vice_president")]),
    "admin": ("Administrator", None, "en", [_r("admin")]),
    "passport.clerk": ("Passport Clerk", None, "zh", [_r("passport_clerk")]),
}


SCHOOLS = {
    "cs": ("School of Computer Science", "计算机学院"),
    "me": ("School of Mechanical Engineering", "机械工程学院"),
}


def seed(session: Session) -> int:
    """Create the demo schools and the demo accounts that do not exist yet. Returns how many accounts were created."""
    for code, (name_en, name_zh) in SCHOOLS.items():
        if session.get(School, code) is None:
            identity.add_school(session, code, name_en, name_zh)
    created = 0
    for username, (name, school, locale, roles) in ACCOUNTS.items():
        if session.get(User, username) is not None:
            continue
        identity.register(
            session, username=username, password=PASSWORD, email=f"{username}@demo.mobility.local",
            locale=locale, school=school, roles=roles, display_name=name,
        )
        created += 1
    return created
