"""The office's rules for staff trips as data, through the applications API on PostgreSQL: admins edit the
categories' limits, the schools' lead times and the allowances (one by one or from a CSV file, all or nothing,
bad lines named by number); anyone signed in reads them; annual plans are set by the office and read by the
office and each school's own reviewers."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from tests.support.service_api import Api

GENERAL = {"max_countries": 3, "max_members": 6, "days_by_countries": {"1": 5, "2": 8, "3": 10},
           "lead_time": 30, "lead_unit": "days"}
HEADER = "country,currency,lodging,meals,cny_rate\n"


def _rules(api: Api, user: str = "alice") -> dict[str, Any]:
    r = api.call(user, "GET", "/api/v1/trip-rules")
    assert r.status_code == 200, r.json
    return r.json  # type: ignore[no-any-return]


def _category(api: Api, name: str) -> dict[str, Any]:
    return next(c for c in _rules(api)["categories"] if c["category"] == name)


def _allowances(api: Api) -> dict[str, dict[str, Any]]:
    return {a["country"]: a for a in api.call("prof.li", "GET", "/api/v1/allowances").json}


def _import(api: Api, text: str | bytes, user: str = "admin", multipart: bool = False) -> Any:
    content = text.encode() if isinstance(text, str) else text
    if multipart:
        return api.call(user, "POST", "/api/v1/allowances/import", content_type="multipart/form-data",
                        data={"file": (BytesIO(content), "allowances.csv")})
    return api.call(user, "POST", "/api/v1/allowances/import", data=content, content_type="text/csv")


def test_everyone_signed_in_reads_the_seeded_rules_with_their_names(api: Api) -> None:
    rules = _rules(api, "alice")
    assert [c["category"] for c in rules["categories"]] == ["general", "teaching_research", "hk_macao", "taiwan"]
    general = rules["categories"][0]
    assert {k: general[k] for k in GENERAL} == GENERAL
    assert general["labels"] == {"en": "General", "zh": "一般"}
    assert rules["categories"][3]["lead_unit"] == "working_days" and rules["schools"] == []
    assert rules["lead_units"]["working_days"]["zh"] == "个工作日"
    assert api.client.get("/api/v1/trip-rules").status_code == 401


def test_an_admin_edits_a_category_and_nobody_else_does(api: Api) -> None:
    changed = {**GENERAL, "max_members": 8, "days_by_countries": {"1": 6, "2": 9}, "lead_unit": "working_days"}
    for user in ("alice", "prof.li", "coord.cs", "icd.officer"):
        refused = api.call(user, "PUT", "/api/v1/trip-rules/general", json=changed)
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert _category(api, "general")["max_members"] == 6
    saved = api.call("admin", "PUT", "/api/v1/trip-rules/general", json=changed)
    assert saved.status_code == 200, saved.json
    assert saved.headers["ETag"] == f'"{saved.json["version"]}"'
    assert {k: _category(api, "general")[k] for k in GENERAL} == changed
    no_limits = {"max_countries": None, "max_members": None, "days_by_countries": None, "lead_time": 0,
                 "lead_unit": "days"}
    assert api.call("admin", "PUT", "/api/v1/trip-rules/hk_macao", json=no_limits).status_code == 200
    assert api.call("admin", "PUT", "/api/v1/trip-rules/space", json=no_limits).status_code == 404


def test_a_stale_edit_is_refused(api: Api) -> None:
    seen = _category(api, "general")["version"]
    assert api.client.put("/api/v1/trip-rules/general", json={**GENERAL, "lead_time": 20},
                          headers={**api.headers("admin"), "If-Match": f'"{seen}"'}).status_code == 200
    stale = api.client.put("/api/v1/trip-rules/general", json={**GENERAL, "lead_time": 10},
                           headers={**api.headers("admin"), "If-Match": f'"{seen}"'})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert _category(api, "general")["lead_time"] == 20


def test_bad_limits_are_refused_field_by_field_and_change_nothing(api: Api) -> None:
    before = _rules(api)
    for body, field in [
        ({**GENERAL, "days_by_countries": {"4": 12}}, "days_by_countries"),   # more countries than allowed
        ({**GENERAL, "days_by_countries": {"1": 0}}, "days_by_countries"),
        ({**GENERAL, "days_by_countries": {"one": 5}}, "days_by_countries"),
        ({**GENERAL, "days_by_countries": {"1": 2.5}}, "days_by_countries"),
        ({**GENERAL, "days_by_countries": {"1": "5"}}, "days_by_countries"),
        ({**GENERAL, "lead_time": -1}, "lead_time"),
        ({**GENERAL, "lead_unit": "weeks"}, "lead_unit"),
        ({**GENERAL, "max_members": 0}, "max_members"),
        ({**GENERAL, "max_members": 10**12}, "max_members"),  # beyond the column's integer: a 500 before
        ({**GENERAL, "max_countries": 2**31}, "max_countries"),
        ({**GENERAL, "colour": "red"}, "colour"),
        ({k: v for k, v in GENERAL.items() if k != "max_countries"}, "max_countries"),
    ]:
        r = api.call("admin", "PUT", "/api/v1/trip-rules/general", json=body)
        assert r.status_code == 422 and field in r.json["errors"], (body, r.json)
        assert r.mimetype == "application/problem+json"
    assert _rules(api) == before


def test_a_school_has_a_lead_time_of_its_own(api: Api) -> None:
    path = "/api/v1/trip-rules/general/schools/cs"
    own = {"lead_time": 15, "lead_unit": "working_days"}
    assert api.call("icd.officer", "PUT", path, json=own).status_code == 403
    bad = api.call("admin", "PUT", path, json={"lead_time": -3, "lead_unit": "days"})
    assert bad.status_code == 422 and "lead_time" in bad.json["errors"]
    assert api.call("admin", "PUT", "/api/v1/trip-rules/nope/schools/cs", json=own).status_code == 404
    assert api.call("admin", "PUT", path, json=own).status_code == 200
    assert _rules(api)["schools"] == [{"school": "cs", "category": "general", **own}]
    assert api.call("coord.cs", "DELETE", path).status_code == 403
    assert api.call("admin", "DELETE", path).status_code == 204
    assert _rules(api)["schools"] == []
    assert api.call("admin", "DELETE", path).status_code == 404


def test_an_admin_edits_a_countrys_allowances_which_are_then_no_example(api: Api) -> None:
    assert _allowances(api)["DE"]["example"] is True
    body = {"currency": "EUR", "lodging": "155", "meals": "72.50", "cny_rate": "7.81"}
    assert api.call("icd.officer", "PUT", "/api/v1/allowances/DE", json=body).status_code == 403
    saved = api.call("admin", "PUT", "/api/v1/allowances/DE", json=body)
    assert saved.status_code == 200, saved.json
    assert _allowances(api)["DE"] == {"country": "DE", **body, "example": False}
    assert api.call("admin", "PUT", "/api/v1/allowances/IT", json=body).status_code == 200
    assert api.call("admin", "DELETE", "/api/v1/allowances/IT").status_code == 204
    assert "IT" not in _allowances(api)
    assert api.call("alice", "DELETE", "/api/v1/allowances/DE").status_code == 403


def test_bad_allowances_are_refused_and_change_nothing(api: Api) -> None:
    before = _allowances(api)
    good = {"currency": "EUR", "lodging": "155", "meals": "72", "cny_rate": "7.8"}
    for country, body, field in [
        ("de", good, "country"), ("DEU", good, "country"),
        ("DE", {**good, "currency": "eur"}, "currency"), ("DE", {**good, "lodging": "-5"}, "lodging"),
        ("DE", {**good, "meals": "0"}, "meals"), ("DE", {**good, "cny_rate": 7.8}, "cny_rate"),
        ("DE", {**good, "lodging": "1e3"}, "lodging"), ("DE", {**good, "example": True}, "example"),
    ]:
        r = api.call("admin", "PUT", f"/api/v1/allowances/{country}", json=body)
        assert r.status_code == 422 and field in r.json["errors"], (country, body, r.json)
        assert r.mimetype == "application/problem+json"
    assert _allowances(api) == before


def test_a_good_csv_replaces_and_adds_the_listed_countries(api: Api) -> None:
    text = "\ufeff" + HEADER + "DE,EUR,155,72,7.81\r\n\r\nIT,EUR,140,68,7.81\r\n"
    assert _import(api, text, user="icd.officer").status_code == 403
    done = _import(api, text)
    assert done.status_code == 200, done.json
    assert done.json == {"added": 1, "replaced": 1, "total": 9}
    table = _allowances(api)
    assert table["DE"] == {"country": "DE", "currency": "EUR", "lodging": "155", "meals": "72",
                           "cny_rate": "7.81", "example": False}
    assert table["IT"]["example"] is False and table["US"]["example"] is True  # not listed: kept
    uploaded = _import(api, "currency,country,lodging,meals,cny_rate\nJPY,JP,19000,9500,0.049\n", multipart=True)
    assert uploaded.status_code == 200 and uploaded.json["replaced"] == 1
    assert _allowances(api)["JP"]["lodging"] == "19000"


def test_a_bad_csv_names_each_bad_line_and_imports_nothing(api: Api) -> None:
    before = _allowances(api)
    text = (HEADER + "DE,EUR,155,72,7.81\n"      # line 2: fine
            "fr,EUR,160,-75,7.7\n"              # line 3: two errors
            "IT,EUR,140,68\n"                   # line 4: a value missing
            "DE,EUR,150,70,7.7\n")              # line 5: DE twice
    r = _import(api, text)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert [line["line"] for line in r.json["lines"]] == [3, 4, 5]
    assert set(r.json["lines"][0]["errors"]) == {"country", "meals"}
    assert "line" in r.json["lines"][1]["errors"]
    assert r.json["lines"][2]["errors"]["country"] == ["DE is already on line 2."]
    assert [m.split(":")[0] for m in r.json["errors"]["file"]] == ["Line 3", "Line 4", "Line 5"]
    assert _allowances(api) == before  # the good line was not imported either


def test_a_file_that_is_not_a_csv_table_is_refused(api: Api) -> None:
    before = _allowances(api)
    for content, field in [(b"%PDF-1.4\x00\x01\x02", "file"), ("DE,EUR".encode("utf-16"), "file"),
                           (b"", "file"), (b"land,geld\nDE,EUR\n", "file"), (HEADER.encode(), "file"),
                           ((HEADER + 'DE,EUR,"' + "9" * 200_000 + '",72,7.81\n').encode(), "file")]:
        r = _import(api, content)
        assert r.status_code == 422 and field in r.json["errors"], (content, r.json)
        assert r.mimetype == "application/problem+json"
    missing = api.call("admin", "POST", "/api/v1/allowances/import", content_type="multipart/form-data",
                       data={"other": "x"})
    assert missing.status_code == 422 and "file" in missing.json["errors"]
    assert _allowances(api) == before


def test_plans_are_set_by_the_office_and_read_by_each_schools_own_reviewers(api: Api) -> None:
    assert api.call("coord.cs", "PUT", "/api/v1/trip-plans/cs/2031", json={"trips": 3, "people": 9}).status_code == 403
    for school, trips in (("cs", 4), ("me", 2)):
        r = api.call("icd.officer", "PUT", f"/api/v1/trip-plans/{school}/2031", json={"trips": trips, "people": 10})
        assert r.status_code == 200, r.json
        assert r.json == {"school": school, "year": 2031, "trips": trips, "people": 10, "used_trips": 0,
                          "used_people": 0}
    assert api.call("admin", "PUT", "/api/v1/trip-plans/cs/2032", json={"trips": 5, "people": 12}).status_code == 200
    office = api.call("icd.officer", "GET", "/api/v1/trip-plans", query_string={"year": 2031}).json
    assert [(p["school"], p["trips"]) for p in office] == [("cs", 4), ("me", 2)]
    cs = api.call("coord.cs", "GET", "/api/v1/trip-plans").json
    assert {(p["school"], p["year"]) for p in cs} == {("cs", 2031), ("cs", 2032)}
    me = api.call("dean.me", "GET", "/api/v1/trip-plans", query_string={"year": 2031}).json
    assert [(p["school"], p["trips"]) for p in me] == [("me", 2)]
    for user in ("alice", "prof.li"):
        assert api.call(user, "GET", "/api/v1/trip-plans").status_code == 403


def test_bad_plans_are_refused_and_change_nothing(api: Api) -> None:
    assert api.call("admin", "PUT", "/api/v1/trip-plans/cs/2031", json={"trips": 1, "people": 2}).status_code == 200
    for path, body, field in [("cs/2031", {"trips": -1, "people": 2}, "trips"),
                              ("cs/2031", {"trips": 1}, "people"),
                              ("cs/2031", {"trips": 1, "people": "2"}, "people"),
                              ("cs/2031", {"trips": 1.5, "people": 2}, "trips"),
                              ("cs/1999", {"trips": 1, "people": 2}, "year"),
                              ("CS!/2031", {"trips": 1, "people": 2}, "school")]:
        r = api.call("admin", "PUT", f"/api/v1/trip-plans/{path}", json=body)
        assert r.status_code == 422 and field in r.json["errors"], (path, body, r.json)
    plans = api.call("admin", "GET", "/api/v1/trip-plans").json
    assert [(p["school"], p["year"], p["trips"], p["people"]) for p in plans] == [("cs", 2031, 1, 2)]
    assert api.call("admin", "GET", "/api/v1/trip-plans", query_string={"year": "soon"}).status_code == 422
