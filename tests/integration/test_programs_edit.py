"""Editing partners and programs through the applications API: who may, what is checked as on create, and
that unknown fields are refused."""

from __future__ import annotations

from services.applications.demo import demo_id
from tests.support.service_api import Api

PARTNER = f"/api/v1/partners/{demo_id('partner', 'tu-berlin')}"


def _program(api: Api) -> dict:  # type: ignore[type-arg]
    return api.call("alice", "GET", "/api/v1/programs").json[0]  # type: ignore[no-any-return]


def test_the_icd_and_admins_edit_a_partner_and_nobody_else(api: Api) -> None:
    assert api.call("alice", "PATCH", PARTNER, json={"name": "TU B"}).status_code == 403
    assert api.call("coord.cs", "PATCH", PARTNER, json={"name": "TU B"}).status_code == 403
    renamed = api.call("icd.officer", "PATCH", PARTNER, json={"name": "Technische Universität Berlin"})
    assert renamed.status_code == 200, renamed.json
    assert renamed.json["name"] == "Technische Universität Berlin" and renamed.json["country"] == "DE"
    moved = api.call("admin", "PATCH", PARTNER, json={"region": "other"})
    assert moved.status_code == 200 and moved.json["region"] == "other"
    names = {p["name"] for p in api.call("alice", "GET", "/api/v1/partners").json}
    assert "Technische Universität Berlin" in names


def test_a_partner_edit_is_checked_as_on_create(api: Api) -> None:
    for body, field in [({"country": "de"}, "country"), ({"region": "mars"}, "region"), ({"name": ""}, "name"),
                        ({"id": "x"}, "id"), ({"colour": "red"}, "colour")]:
        r = api.call("icd.officer", "PATCH", PARTNER, json=body)
        assert r.status_code == 422 and field in r.json["errors"], (body, r.json)
        assert r.headers["Content-Type"] == "application/problem+json"
    others = [p for p in api.call("alice", "GET", "/api/v1/partners").json if p["id"] != PARTNER.rsplit("/")[-1]]
    taken = api.call("icd.officer", "PATCH", PARTNER, json={"name": others[0]["name"]})
    assert taken.status_code == 409
    missing = api.call("icd.officer", "PATCH", "/api/v1/partners/00000000-0000-0000-0000-000000000000", json={})
    assert missing.status_code == 404


def test_a_program_edit_checks_its_window_and_partners_as_on_create(api: Api) -> None:
    program = _program(api)
    path = f"/api/v1/programs/{program['id']}"
    assert api.call("alice", "PATCH", path, json={"seats": 1}).status_code == 403
    early = api.call("icd.officer", "PATCH", path, json={"closes_at": program["opens_at"]})
    assert early.status_code == 422 and "closes_at" in early.json["errors"]
    unknown = api.call("icd.officer", "PATCH", path, json={"partner_ids": ["00000000-0000-0000-0000-000000000000"]})
    assert unknown.status_code == 422 and "partner_ids" in unknown.json["errors"]
    for body in ({"code": "renamed"}, {"kind": "faculty_exchange"}, {"is_open": True}):
        assert api.call("icd.officer", "PATCH", path, json=body).status_code == 422, body
    edited = api.call("admin", "PATCH", path, json={"name": "Renamed", "seats": 7,
                                                    "partner_ids": [demo_id("partner", "tu-berlin")]})
    assert edited.status_code == 200, edited.json
    assert (edited.json["name"], edited.json["seats"]) == ("Renamed", 7)
    assert [p["id"] for p in edited.json["partners"]] == [demo_id("partner", "tu-berlin")]
    assert api.call("alice", "GET", path).json["name"] == "Renamed"
