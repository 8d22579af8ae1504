"""The admin pages as forms on the embedded system: the review-chain editor (rows, row buttons, preview,
errors by label), the level conditions' registry it reads, programs and partners edited, roles chosen and
users searched and paged. Every form carries its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration import test_web_pages
from tests.integration.test_web_pages import browser, csrf_of, token_for

system = test_web_pages.system  # the embedded system those page tests run on (a module fixture)

CHAIN = "/admin/chains/foreign_expert"


def _form(html: str) -> dict[str, str]:
    """The editor's current values, as the browser would post them."""
    values = dict(re.findall(r'<input[^>]*name="([\w-]+)"[^>]*value="([^"]*)"', html))
    for name, body in re.findall(r'<select[^>]*name="([\w-]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        first = re.search(r'<option value="([^"]*)"', body)
        values[name] = chosen.group(1) if chosen else first.group(1) if first else ""
    return values


def _post(client: FlaskClient, html: str, action: str, **changes: str) -> Any:
    return client.post(CHAIN, data={**_form(html), **changes, "action": action})


def _flashed(html: str) -> str:
    """The error message the page shows (empty when none)."""
    found = re.search(r'class="flash error"[^>]*>(.*?)</', html, re.S)
    return found.group(1) if found else ""


def _language(client: FlaskClient, lang: str) -> None:
    """The language switch (it is saved on the account, so a test switches back)."""
    token = csrf_of(client.get("/admin").text)
    assert client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/admin"}).status_code == 302


def test_the_conditions_registry_is_served_to_reviewers_and_admins(system: Embedded) -> None:
    client = system.gateway.test_client()
    for user in ("admin", "coord.cs"):
        reply = client.get("/api/v1/review-conditions", headers={"Authorization": f"Bearer {token_for(client, user)}"})
        assert reply.status_code == 200
        by_name = {c["name"]: c for c in reply.get_json()}
        assert by_name["budget_over"]["labels"]["zh"] == "预算超过 {value} 元"
        assert by_name["duration_days_over"]["threshold"] == {"type": "integer", "minimum": 0}
    alice = client.get("/api/v1/review-conditions", headers={"Authorization": f"Bearer {token_for(client, 'alice')}"})
    assert alice.status_code == 403 and alice.mimetype == "application/problem+json"


def test_the_chain_editor_builds_a_chain_from_rows_and_saves_it(system: Embedded) -> None:
    assert browser(system, "icd.officer").get(CHAIN).status_code == 403
    admin = browser(system, "admin")
    page = admin.get(CHAIN).text
    assert "Levels (JSON)" not in page and 'name="role-0"' in page
    assert admin.post(CHAIN, data={**_form(page), "csrf_token": "", "action": "save"}).status_code == 400
    more = _post(admin, page, "add")
    assert more.status_code == 200 and 'name="role-4"' in more.text  # three levels, the empty row and one more
    filled = _post(admin, page, "preview", **{
        "role-3": "school_coordinator", "scope-3": "school", "days-3": "4",
        "condition-3-0": "duration_days_over", "threshold-3-0": "14"})
    assert ("Level 4: School coordinator (the applicant&#39;s school) decides within 4 days, only when the stay is "
            "longer than 14 days.") in filled.text
    moved = _post(admin, filled.text, "up-3")
    assert "Level 3: School coordinator (the applicant&#39;s school) decides within 4 days" in moved.text
    removed = _post(admin, moved.text, "remove-0")
    assert "Level 1: ICD officer" in removed.text and "School dean" not in removed.text.split('id="chain-preview"')[1]
    saved = _post(admin, removed.text, "save")
    assert saved.status_code == 302
    listing = admin.get("/admin/chains").text
    assert "Level 2: School coordinator (the applicant&#39;s school) decides within 4 days, only when the stay is " \
           "longer than 14 days." in listing
    api = admin.get("/api/v1/review-chains/foreign_expert",
                    headers={"Authorization": f"Bearer {token_for(admin, 'admin')}"}).get_json()
    assert api["levels"][1] == {"role": "school_coordinator", "scope": "school", "days": 4,
                                "condition": {"any": [{"duration_days_over": 14}]}}


def test_the_chain_editor_names_a_bad_value_by_its_level_and_label(system: Embedded) -> None:
    admin = browser(system, "admin")
    page = admin.get(CHAIN).text
    version = re.search(r"version (\d+)", admin.get("/admin/chains").text.split('data-kind="foreign_expert"')[1])
    bad = _post(admin, page, "save", **{"days-0": "0"})
    assert bad.status_code == 422
    assert "Level 1 — Days to decide: Must be greater than or equal to 1" in bad.text
    assert "levels.0" not in bad.text and 'href="#days-0"' in bad.text and 'aria-invalid="true"' in bad.text
    no_limit = _post(admin, page, "save", **{"condition-1-0": "budget_over", "threshold-1-0": "lots"})
    assert no_limit.status_code == 422 and "Level 2 — Condition:" in no_limit.text
    unnamed = _post(admin, page, "save", **{"role-1": "", "days-2": "soon"})
    assert "Level 2 — Role: Choose who decides" in unnamed.text and "Level 3 — Days to decide: Enter a whole" in \
        unnamed.text and "There is a problem" in unnamed.text and "invalid fields" not in unnamed.text
    _language(admin, "zh")
    try:
        zh = _post(admin, admin.get(CHAIN).text, "save", **{"days-0": "99"})
        assert zh.status_code == 422 and "第 1 级 — 决定期限（天）：" in zh.text, re.findall(r"第[^<]*", zh.text)[:3]
    finally:
        _language(admin, "en")
    after = re.search(r"version (\d+)", admin.get("/admin/chains").text.split('data-kind="foreign_expert"')[1])
    assert after and version and after.group(1) == version.group(1)  # nothing saved


def test_the_icd_edits_a_program_and_a_partner_from_the_admin_page(system: Embedded) -> None:
    icd = browser(system, "icd.officer")  # the ICD officer reads Chinese
    page = icd.get("/admin/programs").text
    program_id = re.search(r'name="what" value="edit-program"><input type="hidden" name="id" value="([^"]+)"', page)
    partner_id = re.search(r'name="what" value="edit-partner"><input type="hidden" name="id" value="([^"]+)"', page)
    assert program_id and partner_id
    edit = {"what": "edit-program", "id": program_id.group(1), "name": "Edited Semester", "seats": "9",
            "opens_at": "2026-01-01T00:00", "closes_at": "2035-01-01T00:00", "partner_ids": partner_id.group(1)}
    assert icd.post("/admin/programs", data=edit).status_code == 400  # no CSRF token
    saved = icd.post("/admin/programs", data={**edit, "csrf_token": csrf_of(page)}, follow_redirects=True)
    assert 'class="flash success"' in saved.text and "Edited Semester" in saved.text
    # Times are the office's (Beijing), stored in UTC and shown back as they were typed, with the zone named
    api = system.gateway.test_client()
    stored = api.get(f"/api/v1/programs/{program_id.group(1)}",
                     headers={"Authorization": f"Bearer {token_for(api, 'icd.officer')}"}).get_json()
    assert stored["opens_at"].startswith("2025-12-31T16:00"), stored
    assert 'value="2026-01-01T00:00"' in saved.text and "开放时间 (北京时间)" in saved.text
    late = icd.post("/admin/programs", data={**edit, "csrf_token": csrf_of(page), "closes_at": "2025-01-01T00:00"},
                    follow_redirects=True)
    assert "截止：" in _flashed(late.text) and "closes_at" not in _flashed(late.text)
    partner = {"what": "edit-partner", "id": partner_id.group(1), "name": "Renamed University", "country": "de",
               "region": "europe", "csrf_token": csrf_of(page)}
    refused = icd.post("/admin/programs", data=partner, follow_redirects=True)
    assert "国家（两位字母代码）：" in _flashed(refused.text) and "Renamed University" not in refused.text
    renamed = icd.post("/admin/programs", data={**partner, "country": "DE"}, follow_redirects=True)
    assert 'class="flash success"' in renamed.text and "Renamed University" in renamed.text
    assert icd.post("/admin/programs", data={**partner, "id": "../applications"}).status_code == 400
    assert browser(system, "alice").post("/admin/programs", data=partner).status_code in (400, 403)


def test_roles_are_chosen_from_the_list_and_named_in_words(system: Embedded) -> None:
    admin = browser(system, "admin")
    page = admin.get("/admin/users").text
    assert "School coordinator" in page and 'name="add_role"' in page and "coord.cs" in page
    token = csrf_of(page)
    created = admin.post("/admin/users", data={
        "csrf_token": token, "what": "create", "username": "zhao.lei", "email": "zl@example.edu",
        "password": "pw-123456", "school": "cs", "add_role": "teacher", "add_school": ""}, follow_redirects=True)
    assert 'class="flash success"' in created.text
    assert 'value="teacher@cs" checked' in admin.get("/admin/users?q=zhao").text
    both = admin.post("/admin/users", data={"csrf_token": token, "username": "zhao.lei", "school": "cs",
                                            "roles": "teacher@cs", "add_role": "school_coordinator",
                                            "add_school": "me"}, follow_redirects=True)
    assert 'class="flash success"' in both.text
    row = admin.get("/admin/users?q=zhao.lei").text
    assert 'value="teacher@cs" checked' in row and 'value="school_coordinator@me" checked' in row
    dropped = admin.post("/admin/users", data={"csrf_token": token, "username": "zhao.lei", "school": "cs",
                                               "roles": "school_coordinator@me"}, follow_redirects=True)
    assert 'value="teacher@cs"' not in dropped.text.split('data-user="zhao.lei"')[1].split("</tr>")[0]
    wide = admin.post("/admin/users", data={"csrf_token": token, "username": "zhao.lei", "school": "cs",
                                            "add_role": "teacher", "add_school": "nowhere"}, follow_redirects=True)
    assert "Roles: Teacher is a school role: choose the school." in _flashed(wide.text)
    chinese = browser(system, "coord.cs", language="zh")  # not an admin: refused before any rule
    assert chinese.post("/admin/users", data={"csrf_token": csrf_of(chinese.get("/", follow_redirects=True).text),
                                              "username": "zhao.lei", "roles": "admin"}).status_code == 403


def test_users_are_searched_by_name_or_school_and_paged(system: Embedded) -> None:
    admin = browser(system, "admin")
    token = csrf_of(admin.get("/admin/users").text)
    for n in range(55):
        assert admin.post("/admin/users", data={
            "csrf_token": token, "what": "create", "username": f"paged.{n:02d}", "email": f"p{n}@example.edu",
            "password": "pw-123456", "name": f"Paged Person {n}"}).status_code == 302
    first = admin.get("/admin/users?q=paged").text
    assert "page 1 of 2" in first and first.count('data-user="paged.') == 50 and 'rel="next"' in first
    second = admin.get("/admin/users?q=paged&page=2").text
    assert second.count('data-user="paged.') == 5 and 'rel="prev"' in second
    by_name = admin.get("/admin/users?q=person 7").text
    assert 'data-user="paged.07"' in by_name and 'data-user="alice"' not in by_name
    by_school = admin.get("/admin/users?q=me").text
    assert 'data-user="coord.me"' in by_school
    by_school_name = admin.get("/admin/users?q=机械").text
    assert 'data-user="coord.me"' in by_school_name and 'data-user="coord.cs"' not in by_school_name
    assert "No account matches." in admin.get("/admin/users?q=nobody-at-all").text
    assert admin.get("/admin/users?page=-3").status_code == 200
