"""The access matrix of the passports register, its import, audit log and settings, and of custody (the hand-out, its
slip, the return), on PostgreSQL with real tokens.

Rows: the traveller who holds the passport (prof.li), another user (alice), the school's reviewer (coord.cs),
another school's (coord.me), the ICD officer, an admin and the passport clerk. Columns: every endpoint. Who may not
read a passport gets 404 (the register does not say who holds one), who reads it but may not act 403, and a refused
call changes nothing. A slip is read only through its own passport: a loan of someone else's passport named under
one's own is not found. Every response but the clerk's number view (and the slips, PDFs: the custody tests read
their text) is searched for the whole number (and its parts), and none holds it.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.support.passports import CSV_HEADER, Passports, passport, passports_fixture  # noqa: F401

NUMBER = "EA7319264"
PEOPLE = ("prof.li", "alice", "coord.cs", "coord.me", "icd.officer", "admin", "passport.clerk")
RULES = {"handout_days_before": 5, "return_days": 7, "remind_days_before": 3, "school_hold_after_days": 30,
         "school_hold": False}

# endpoint: the status each person gets, in PEOPLE's order
EXPECTED = {
    "list": (200, 200, 200, 200, 200, 200, 200),
    "create": (403, 403, 403, 403, 403, 403, 201),
    "read": (200, 404, 200, 404, 200, 200, 200),
    "change": (403, 404, 403, 404, 403, 403, 200),
    "number": (403, 404, 403, 404, 403, 403, 200),
    "import": (403, 403, 403, 403, 403, 403, 201),
    "audit": (403, 403, 403, 403, 403, 200, 200),
    "audit_csv": (403, 403, 403, 403, 403, 200, 200),
    "rules": (403, 403, 403, 403, 200, 200, 200),
    "set_rules": (403, 403, 403, 403, 403, 200, 200),
    "hand_out": (403, 404, 403, 404, 403, 403, 201),
    "slip": (200, 404, 403, 404, 403, 200, 200),
    "take_back": (403, 404, 403, 404, 403, 403, 200),
}
# what each one finds in the list: their own, their school's (coord.me: the ME passport), or all
LISTED = {"prof.li": 1, "alice": 0, "coord.cs": 1, "coord.me": 1, "icd.officer": 2, "admin": 2, "passport.clerk": 2}


def plan_trip(p: Passports, staff_number: str, owner: str) -> str:
    """A trip of the holder's, leaving in two days (inside the hand-out window), as mobilities announces it."""
    mobility_id, start = str(uuid.uuid4()), date.today() + timedelta(days=2)
    p.deliver("mobility.planned", {
        "mobility_id": mobility_id, "application_id": str(uuid.uuid4()), "group_id": str(uuid.uuid4()),
        "kind": "faculty_exchange", "category": "general", "school": "cs", "owner": owner,
        "person": {"name": "Traveller", "staff_number": staff_number, "role": "leader"}, "title": "A visit",
        "status": "planned", "planned_start": start.isoformat(), "planned_end": (start + timedelta(days=4)).isoformat(),
        "departed_on": None, "arrived_on": None, "returned_on": None})
    return mobility_id


def calls(p: Passports, passport_id: str, n: int, trip: str = "") -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Each endpoint as (method, path, keyword arguments); `n` makes each person's new numbers their own."""
    version = p.scalar("SELECT version FROM passports WHERE id = :id", id=passport_id)
    loan = p.scalar("SELECT id FROM loans WHERE passport_id = :id ORDER BY handed_out_at DESC LIMIT 1",
                    id=passport_id) or str(uuid.uuid4())
    csv = f"{CSV_HEADER}\nZhao Min,20100345,,cs,official_passport,E9{n:07d},2021-01-01,2031-01-01,Safe 1\n"
    return {
        "list": ("GET", "/passports", {}),
        "create": ("POST", "/passports", {"json": passport(f"E8{n:07d}", holder_username="bob")}),
        "read": ("GET", f"/passports/{passport_id}", {}),
        "change": ("PATCH", f"/passports/{passport_id}", {"json": {"kept_at": f"Safe {n}", "version": version}}),
        "number": ("POST", f"/passports/{passport_id}/number-views", {}),
        "import": ("POST", "/passports/import", {"data": csv.encode(), "content_type": "text/csv"}),
        "audit": ("GET", "/passport-audit", {}),
        "audit_csv": ("GET", "/passport-audit?format=csv", {}),
        "rules": ("GET", "/passport-settings", {}),
        "set_rules": ("PUT", "/passport-settings", {"json": {**RULES, "return_days": 7 + n}}),
        "hand_out": ("POST", f"/passports/{passport_id}/handouts", {"json": {"mobility_id": trip}}),
        "slip": ("GET", f"/passports/{passport_id}/loans/{loan}/slip", {}),
        "take_back": ("POST", f"/passports/{passport_id}/returns", {"json": {}}),
    }


def state(p: Passports) -> tuple[Any, ...]:
    return (p.rows("SELECT id, kept_at, version, status FROM passports ORDER BY id"),
            p.rows("SELECT return_days, updated_by FROM passport_settings"),
            p.scalar("SELECT count(*) FROM audit_log"), p.rows("SELECT id, returned_on FROM loans ORDER BY id"),
            p.scalar("SELECT count(*) FROM handovers"), p.scalar("SELECT count(*) FROM outbox"))


def test_each_person_against_every_endpoint(passports: Passports) -> None:
    p = passports
    held = p.create(NUMBER)  # prof.li's, in cs
    p.create("EB5550001", holder_name="Chen Jing", staff_number="20200001", holder_username="chen", school="me",
             type="service_passport")
    trip = plan_trip(p, "19990012", "prof.li")
    bodies: list[tuple[str, str, str]] = []
    got: dict[str, tuple[int, ...]] = {}
    for endpoint in EXPECTED:
        codes = []
        for n, user in enumerate(PEOPLE):
            method, path, kw = calls(p, held["id"], n, trip)[endpoint]
            before = state(p)
            response = p.call(user, method, path, **kw)
            codes.append(response.status_code)
            if response.mimetype != "application/pdf":
                bodies.append((endpoint, user, response.get_data(as_text=True)))
            if response.status_code >= 400:
                assert response.mimetype == "application/problem+json", (endpoint, user)
                assert state(p) == before, (endpoint, user)  # a refusal changes nothing, nor audits
            if endpoint == "list":
                assert len(response.json["items"]) == LISTED[user], user
        got[endpoint] = tuple(codes)
    assert got == EXPECTED

    # the whole number is in the clerk's number view, and nowhere else
    shown = [(e, u) for e, u, body in bodies if NUMBER in body]
    assert shown == [("number", "passport.clerk")]
    for endpoint, user, body in bodies:
        if (endpoint, user) != ("number", "passport.clerk"):
            assert "EA731" not in body and "7319264" not in body, (endpoint, user)
    # the read answers hold the masked number
    assert {json.loads(body)["number_masked"] for e, _, body in bodies if e == "read" and '"id"' in body} == {
        "••••9264"}


@pytest.mark.parametrize("user", ["alice", "coord.me"])
def test_a_passport_one_may_not_read_is_not_found_whatever_the_act(passports: Passports, user: str) -> None:
    """Not found, not forbidden: the register does not tell who holds a passport, nor that an id exists."""
    p = passports
    held = p.create(NUMBER)
    missing = "00000000-0000-0000-0000-000000000000"
    for passport_id in (held["id"], missing):
        for method, path in (("GET", ""), ("PATCH", ""), ("POST", "/number-views")):
            response = p.call(user, method, f"/passports/{passport_id}{path}", json={} if method != "GET" else None)
            assert response.status_code == 404 and response.json["detail"] == "No such passport.", (method, path)


def test_a_slip_is_read_only_through_the_passport_its_loan_belongs_to(passports: Passports) -> None:
    """A holder (or anyone) naming their own passport in the URL and another passport's loan gets "not found": the
    loan must be one of the passport in the URL, else reading one's own passport would open everyone's slips."""
    p = passports
    held = p.create(NUMBER)  # prof.li's
    other = p.create("EB5550001", holder_name="Chen Jing", staff_number="20200001", holder_username="chen",
                     school="me")
    loaned = p.call("passport.clerk", "POST", f"/passports/{other['id']}/handouts",
                    json={"mobility_id": plan_trip(p, "20200001", "chen")})
    assert loaned.status_code == 201, loaned.json
    theirs = loaned.json["id"]
    assert p.call("chen", "GET", f"/passports/{other['id']}/loans/{theirs}/slip").status_code == 200
    for user in ("prof.li", "admin", "passport.clerk"):
        response = p.call(user, "GET", f"/passports/{held['id']}/loans/{theirs}/slip")
        assert response.status_code == 404 and response.mimetype == "application/problem+json", user
