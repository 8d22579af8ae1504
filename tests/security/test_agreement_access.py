"""The access matrix of the agreements register on PostgreSQL with real tokens.

Rows: a student (alice), a school's coordinator (coord.cs) and dean (dean.me), the ICD officer and an admin.
Columns: every endpoint of /api/v1/agreements. Staff read; the ICD and admins write; a student is refused
everything (403). A refused write changes nothing: not the row, not its terms, not the scan, not the outbox.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.support.placements import TUM, Placements, placements_fixture  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PEOPLE = ("alice", "coord.cs", "dean.me", "icd.officer", "admin")
EXPECTED = {  # endpoint: the status each person gets, in PEOPLE's order
    "list": (403, 200, 200, 200, 200),
    "read": (403, 200, 200, 200, 200),
    "export": (403, 200, 200, 200, 200),
    "document": (403, 200, 200, 200, 200),
    "create": (403, 403, 403, 201, 201),
    "change": (403, 403, 403, 200, 200),
    "upload": (403, 403, 403, 200, 200),
}
BODY = {"partner_id": TUM["partner_id"], "partner_name": "TU Munich", "partner_country": "DE",
        "type": "student_exchange", "status": "signed", "signed_on": "2031-01-10", "valid_from": "2031-02-01",
        "valid_to": "2036-01-31", "contacts": [{"name": "Anna Schmidt", "email": "anna@tum.example"}],
        "terms": [{"direction": "outgoing", "mobility_type": "student_studies", "places_per_year": 4}]}


def _snapshot(p: Placements) -> tuple[Any, ...]:
    return (p.rows("SELECT id, partner_name, status, version, document::text FROM agreements ORDER BY id"),
            p.rows("SELECT agreement_id, places_per_year FROM agreement_terms ORDER BY id"),
            p.scalar("SELECT count(*) FROM outbox"))


def _call(p: Placements, user: str, endpoint: str, agreement: dict[str, Any]) -> Any:
    path = f"/agreements/{agreement['id']}"
    current = p.call("icd.officer", "GET", path).json["version"]
    return {
        "list": lambda: p.call(user, "GET", "/agreements"),
        "read": lambda: p.call(user, "GET", path),
        "export": lambda: p.call(user, "GET", "/agreements/export"),
        "document": lambda: p.call(user, "GET", f"{path}/document"),
        "create": lambda: p.call(user, "POST", "/agreements", json=BODY),
        "change": lambda: p.call(user, "PATCH", path, json={"version": current, "partner_name": f"By {user}",
                                                             "terms": []}),
        "upload": lambda: p.call(user, "PUT", f"{path}/document", data={"file": (io.BytesIO(PDF), "x.pdf")},
                                 content_type="multipart/form-data"),
    }[endpoint]()


@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_staff_read_the_office_writes_a_student_gets_nothing(placements: Placements, endpoint: str) -> None:
    made = placements.call("icd.officer", "POST", "/agreements", json=BODY)
    assert made.status_code == 201, made.json
    scan = placements.call("icd.officer", "PUT", f"/agreements/{made.json['id']}/document",
                           data={"file": (io.BytesIO(PDF), "scan.pdf")}, content_type="multipart/form-data")
    assert scan.status_code == 200
    for user, expected in zip(PEOPLE, EXPECTED[endpoint], strict=True):
        before = _snapshot(placements)
        response = _call(placements, user, endpoint, made.json)
        assert response.status_code == expected, (user, endpoint, response.status_code, response.get_data()[:300])
        if expected == 403:
            assert response.headers["Content-Type"].startswith("application/problem+json")
            assert _snapshot(placements) == before, (user, endpoint)  # a refused call changes nothing
        if user == "alice":
            assert b"anna@tum.example" not in response.get_data()  # a student never sees the partner's contacts


def test_the_icd_and_a_coordinator_see_the_same_agreement_but_only_the_icd_changes_it(
        placements: Placements) -> None:
    made = placements.call("icd.officer", "POST", "/agreements", json=BODY).json
    path = f"/agreements/{made['id']}"
    as_coordinator = placements.call("coord.cs", "GET", path).json
    assert as_coordinator["contacts"] == made["contacts"] and as_coordinator["version"] == 1
    refused = placements.call("coord.cs", "PATCH", path, json={"version": 1, "status": "terminated"})
    assert refused.status_code == 403
    done = placements.call("icd.officer", "PATCH", path, json={"version": 1, "status": "terminated"})
    assert done.status_code == 200 and done.json["status"] == "terminated"
    assert placements.call("coord.cs", "GET", path).json["status"] == "terminated"
    # naming the current version does not help: the role is missing, and nothing moves
    assert placements.call("coord.cs", "PATCH", path, json={"version": 2, "status": "signed"}).status_code == 403
    assert placements.call("icd.officer", "GET", path).json["version"] == 2
