"""The admin pages of the rules for staff trips on the embedded system: trip rules, allowances (with the CSV
upload and its line-by-line error summary), annual plans and the official calendar; in English and Chinese, for
admins (plans for the ICD too), every form carrying its CSRF token."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration import test_web_pages
from tests.integration.test_web_pages import browser, csrf_of

system = test_web_pages.system  # the embedded system those page tests run on (a module fixture)

PAGES = ("/admin/trip-rules", "/admin/allowances", "/admin/trip-plans", "/admin/calendar?year=2025")


def _language(client: FlaskClient, lang: str) -> None:
    """The language switch (it is saved on the account, so a test switches back)."""
    token = csrf_of(client.get("/admin").text)
    assert client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/admin"}).status_code == 302


def _summary(html: str) -> list[str]:
    """The error summary's entries (empty when the page shows none)."""
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", box.group(0), re.S)] \
        if box else []


def _post(client: FlaskClient, path: str, **data: object) -> object:
    return client.post(path, data={"csrf_token": csrf_of(client.get(path).text), **data},
                       content_type="multipart/form-data" if "file" in data else None)


def test_the_pages_render_for_an_admin_in_both_languages(system: Embedded) -> None:
    admin = browser(system, "admin")
    index = admin.get("/admin").text
    for path in PAGES:
        assert path.split("?")[0] in index
    english = {path: admin.get(path) for path in PAGES}
    assert all(page.status_code == 200 for page in english.values())
    assert "Teaching and research" in english["/admin/trip-rules"].text
    assert "1 country: 5 days; 2 countries: 8 days; 3 countries: 10 days" in english["/admin/trip-rules"].text
    assert "45 working days" in english["/admin/trip-rules"].text
    assert "example — replace with your current table" in english["/admin/allowances"].text
    assert "Germany (DE)" in english["/admin/allowances"].text
    assert "School of Computer Science" in english["/admin/trip-plans"].text
    calendar = english["/admin/calendar?year=2025"].text
    assert "the official calendar package" in calendar and "October 1, 2025" in calendar
    assert "2025-09-28 workday" in calendar  # the lines to edit
    _language(admin, "zh")
    try:
        chinese = {path: admin.get(path) for path in PAGES}
        assert all(page.status_code == 200 for page in chinese.values())
        assert "教学科研" in chinese["/admin/trip-rules"].text and "个工作日" in chinese["/admin/trip-rules"].text
        assert "示例" in chinese["/admin/allowances"].text and "德国 (DE)" in chinese["/admin/allowances"].text
        assert "计算机学院" in chinese["/admin/trip-plans"].text
        assert "2025年10月1日" in chinese["/admin/calendar?year=2025"].text
        for page in chinese.values():
            assert "Lead time" not in page.text and "Allowances" not in page.text
    finally:
        _language(admin, "en")


def test_only_admins_reach_the_rules_and_the_office_the_plans(system: Embedded) -> None:
    officer = browser(system, "icd.officer")
    for path in ("/admin/trip-rules", "/admin/allowances", "/admin/calendar"):
        assert officer.get(path).status_code == 403
    assert officer.get("/admin/trip-plans").status_code == 200
    assert browser(system, "coord.cs").get("/admin/trip-plans").status_code == 403


def test_a_category_is_edited_through_its_form_and_a_bad_value_is_summarised(system: Embedded) -> None:
    admin = browser(system, "admin")
    page = admin.get("/admin/trip-rules").text
    version = re.search(r'name="category" value="general"><input type="hidden" name="version" value="(\w+)"',
                        page).group(1)  # type: ignore[union-attr]
    form = {"what": "rule", "category": "general", "version": version, "max_countries": "3", "max_members": "5",
            "days-1": "6", "days-2": "9", "days-3": "", "lead_time": "25", "lead_unit": "working_days"}
    refused = _post(admin, "/admin/trip-rules", **{**form, "lead_time": "-1", "days-2": "0"})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    entries = _summary(refused.text)  # type: ignore[attr-defined]
    assert any(e.startswith("Lead time:") for e in entries), entries
    assert any(e.startswith("Most days abroad:") for e in entries), entries
    assert 'href="#general-lead_time"' in refused.text and 'id="general-lead_time"' in refused.text  # type: ignore[attr-defined]
    assert "1 country: 5 days; 2 countries: 8 days" in admin.get("/admin/trip-rules").text  # unchanged
    no_token = admin.post("/admin/trip-rules", data=form)
    assert no_token.status_code == 400
    assert "Most members" in admin.get("/admin/trip-rules").text and "30 days" in admin.get("/admin/trip-rules").text
    saved = _post(admin, "/admin/trip-rules", **form)
    assert saved.status_code == 302  # type: ignore[attr-defined]
    shown = admin.get("/admin/trip-rules").text
    assert "1 country: 6 days; 2 countries: 9 days" in shown and "25 working days" in shown
    stale = _post(admin, "/admin/trip-rules", **form)  # the version it names is no longer the rule's
    assert stale.status_code == 302  # type: ignore[attr-defined]
    assert "The rules changed since you read them" in admin.get("/admin/trip-rules").text

    own = _post(admin, "/admin/trip-rules", what="school", school="me", category="taiwan", lead_time="60",
                lead_unit="working_days")
    assert own.status_code == 302  # type: ignore[attr-defined]
    assert 'data-school-lead="me-taiwan"' in admin.get("/admin/trip-rules").text
    _post(admin, "/admin/trip-rules", what="school-remove", school="me", category="taiwan")
    assert 'data-school-lead="me-taiwan"' not in admin.get("/admin/trip-rules").text


def test_a_csv_upload_shows_each_bad_line_in_the_error_summary_and_changes_nothing(system: Embedded) -> None:
    admin = browser(system, "admin")
    before = admin.get("/admin/allowances").text.count("data-example")
    bad = b"country,currency,lodging,meals,cny_rate\nDE,EUR,155,72,7.81\nfr,EUR,160,75,7.7\nIT,EUR,140\n"
    refused = _post(admin, "/admin/allowances", what="import", file=(io.BytesIO(bad), "table.csv"))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    entries = _summary(refused.text)  # type: ignore[attr-defined]
    assert entries[0].startswith("Line 3: Country or region (two-letter code): Must be an ISO 3166 code"), entries
    assert entries[1].startswith("Line 4: Values: Expected 5 values"), entries
    assert 'href="#csv-file"' in refused.text  # type: ignore[attr-defined]
    assert admin.get("/admin/allowances").text.count("data-example") == before  # DE, on a good line, unchanged
    not_text = _post(admin, "/admin/allowances", what="import", file=(io.BytesIO(b"%PDF\x00\x01"), "t.pdf"))
    assert _summary(not_text.text) == ["The file is not a text file: save the table as CSV (UTF-8)."]  # type: ignore[attr-defined]
    no_token = admin.post("/admin/allowances", data={"what": "import", "file": (io.BytesIO(bad), "t.csv")},
                          content_type="multipart/form-data")
    assert no_token.status_code == 400

    good = "\ufeffcountry,currency,lodging,meals,cny_rate\r\nDE,EUR,155,72,7.81\r\nIT,EUR,140,68,7.81\r\n"
    done = _post(admin, "/admin/allowances", what="import", file=(io.BytesIO(good.encode()), "table.csv"))
    assert done.status_code == 302  # type: ignore[attr-defined]
    page = admin.get("/admin/allowances").text
    assert "Imported. Added: 1; replaced: 1." in page and "Italy (IT)" in page
    assert page.count("data-example") == before - 1

    wrong = _post(admin, "/admin/allowances", what="allowance", existing="1", country="IT", currency="EUR",
                  lodging="-1", meals="68", cny_rate="7.81")
    assert wrong.status_code == 422 and 'href="#al-IT-lodging"' in wrong.text  # type: ignore[attr-defined]
    removed = _post(admin, "/admin/allowances", what="remove", existing="1", country="IT")
    assert removed.status_code == 302  # type: ignore[attr-defined]
    page = admin.get("/admin/allowances").text
    assert "Removed: Italy (IT)." in page and 'data-country="IT"' not in page


def test_the_office_sets_a_schools_plan(system: Embedded) -> None:
    officer = browser(system, "icd.officer")
    refused = _post(officer, "/admin/trip-plans?year=2031", school="cs", trips="-2", people="4")
    assert refused.status_code == 422 and 'href="#plan-cs-trips"' in refused.text  # type: ignore[attr-defined]
    saved = _post(officer, "/admin/trip-plans?year=2031", school="cs", trips="3", people="8")
    assert saved.status_code == 302  # type: ignore[attr-defined]
    row = re.search(r'<tr data-plan="cs">.*?</tr>', officer.get("/admin/trip-plans?year=2031").text, re.S)
    assert row and ">3<" in row.group(0) and ">8<" in row.group(0)
    assert "团组：0 个；人数：0 人" in row.group(0)  # the officer reads Chinese
    assert "团组：0 个" not in officer.get("/admin/trip-plans?year=2032").text


def test_a_year_of_the_calendar_is_entered_as_lines_or_seeded(system: Embedded) -> None:
    admin = browser(system, "admin")
    assert "not known yet" in admin.get("/admin/calendar?year=2031").text
    for odd in ("²", "x", "99999"):  # no such year: this year's page
        assert admin.get("/admin/calendar", query_string={"year": odd}).status_code == 200
        assert admin.get("/admin/trip-plans", query_string={"year": odd}).status_code == 200
    bad = _post(admin, "/admin/calendar?year=2031", what="days", days="2031-10-01 holiday 国庆节\n2031-13-01 holiday\n"
                "2030-10-02 holiday\n2031-09-28 maybe")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert [e.split(":")[0] for e in _summary(bad.text)] == ["Line 2", "Line 3", "Line 4"]  # type: ignore[attr-defined]
    assert "not known yet" in admin.get("/admin/calendar?year=2031").text
    saved = _post(admin, "/admin/calendar?year=2031", what="days",
                  days="2031-10-01 holiday 国庆节\n\n2031-09-28 workday 调休\n")
    assert saved.status_code == 302  # type: ignore[attr-defined]
    page = admin.get("/admin/calendar?year=2031").text
    assert "entered by an administrator" in page and "October 1, 2031" in page and "make-up working day" in page
    assert _post(admin, "/admin/calendar?year=2024", what="seed").status_code == 302  # type: ignore[attr-defined]
    assert "entered by an administrator" in admin.get("/admin/calendar?year=2024").text
    assert admin.post("/admin/calendar?year=2024", data={"what": "seed"}).status_code == 400  # no CSRF token
