"""Demo partners and programs, created only by `mobility run` and `mobility seed-demo`.

Ids are derived from the codes, so docs/examples/*.json can name them and stay valid. A program created here is
announced (program.saved) as one created through the API is.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.applications import program_events
from services.applications.models import Partner, Program

NAMESPACE = uuid.UUID("6f1d7c3e-2b0a-4c55-9d0e-6a1b2c3d4e5f")


def demo_id(kind: str, code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{code}"))


# code: (name, country, region)
PARTNERS = {
    "tu-berlin": ("Technische Universität Berlin", "DE", "europe"),
    "polimi": ("Politecnico di Milano", "IT", "europe"),
    "nus": ("National University of Singapore", "SG", "asean"),
    "kmutt": ("King Mongkut's University of Technology Thonburi", "TH", "belt_and_road"),
    "kazntu": ("Satbayev University", "KZ", "belt_and_road"),
    "uw": ("University of Waterloo", "CA", "americas"),
}
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2035, 12, 31, tzinfo=UTC))
# code: (name, seats, partner codes, window)
PROGRAMS = {
    "europe-engineering-2031": ("European Engineering Exchange 2031", 12, ["tu-berlin", "polimi"], WINDOW),
    "asia-belt-road-2031": ("Asia and Belt and Road Semester 2031", 8, ["nus", "kmutt", "kazntu"], WINDOW),
    "waterloo-coop-2024": ("Waterloo Co-op Semester 2024 (closed)", 4, ["uw"],
                           (datetime(2023, 9, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))),
}


def seed(session: Session) -> int:
    created = 0
    partners = {}
    for code, (name, country, region) in PARTNERS.items():
        partner = session.get(Partner, demo_id("partner", code))
        if partner is None:
            partner = Partner(id=demo_id("partner", code), name=name, country=country, region=region)
            session.add(partner)
            created += 1
        partners[code] = partner
    for code, (name, seats, partner_codes, (opens, closes)) in PROGRAMS.items():
        if session.get(Program, demo_id("program", code)) is None:
            program = Program(id=demo_id("program", code), code=code, name=name, kind="student_exchange",
                              seats=seats, opens_at=opens, closes_at=closes, revision=1,
                              partners=[partners[c] for c in partner_codes])
            session.add(program)
            program_events.announce(session, program)
            created += 1
    return created
