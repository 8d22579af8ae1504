"""Demo accounts (password `demo`), created only by `mobility run` and `mobility seed-demo`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway import identity
from gateway.models import User

PASSWORD = "demo"


def _r(role: str, school: str | None = None) -> dict[str, str | None]:
    return {"role": role, "school": school}


# username: (display name, school, locale, roles)
ACCOUNTS = {
    "alice": ("Alice Wang", "cs", "en", [_r("student", "cs")]),
    "bob": ("Bob Zhang", "cs", "zh", [_r("student", "cs")]),
    "chen": ("Chen Jing", "me", "zh", [_r("student", "me")]),
    "prof.li": ("Li Wei", "cs", "zh", [_r("teacher", "cs")]),
    "coord.cs": ("CS Foreign Affairs Coordinator", "cs", "zh", [_r("school_coordinator", "cs")]),
    "dean.cs": ("CS Dean for Foreign Affairs", "cs", "zh", [_r("school_dean", "cs")]),
    "coord.me": ("ME Foreign Affairs Coordinator", "me", "zh", [_r("school_coordinator", "me")]),
    "dean.me": ("ME Dean for Foreign Affairs", "me", "zh", [_r("school_dean", "me")]),
    "icd.officer": ("ICD Officer", None, "zh", [_r("icd_officer")]),
    "vp.fa": ("Vice President for Foreign Affairs", None, "zh", [_r("vice_president")]),
    "admin": ("Administrator", None, "en", [_r("admin")]),
}


def seed(session: Session) -> int:
    """Create the demo accounts that do not exist yet. Returns how many were created."""
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
