"""Must show: the ICD officer searches and filters the list of all applications, in English and in Chinese, and
downloads the filtered list as CSV and as XLSX, whose rows are the ones the page shows, in the page's words."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser import journey
from tests.e2e.test_statistics import ASIA, NUS
from tests.support.api import Gateway

WORDS = {
    "en": {"title": "All applications", "applicant": "Applicant", "school": "School of Mechanical Engineering",
           "kind": "Student exchange"},
    "zh": {"title": "全部申请", "applicant": "申请人", "school": "机械工程学院", "kind": None},
}


@pytest.fixture(scope="module")
def office(embedded_gateway: Gateway) -> dict[str, Any]:
    """Chen's exchange to Singapore (school me) and Alice's to Berlin (school cs), both submitted."""
    chen = embedded_gateway.apply_and_submit("chen", "student_exchange", ASIA, partner_choices=[NUS])
    alice = embedded_gateway.apply_and_submit("alice", "student_exchange")
    return {"gateway": embedded_gateway, "chen": chen["id"], "alice": alice["id"]}


def _shown(page: Page) -> list[str]:
    return [row.get_attribute("data-application") or "" for row in page.locator("table.worklist tbody tr").all()]


@pytest.mark.parametrize(("lang", "locale"), [("en", "en-US"), ("zh", "zh-CN")], ids=["english", "chinese"])
def test_search_filter_and_export_the_list(office: dict[str, Any], open_page: Callable[..., Page],
                                          shoot: Callable[[Page, str], None], lang: str, locale: str) -> None:
    words = WORDS[lang]
    base_url = office["gateway"].base_url
    page = open_page(locale=locale)
    journey.login(page, base_url, "icd.officer", language=lang)
    page.locator("header nav a[href='/all-applications']").click()
    expect(page.locator("h1")).to_have_text(words["title"])
    expect(page.locator(f"tr[data-application='{office['chen']}']")).to_be_visible()
    shoot(page, "all")

    page.fill("#q", "national university of SINGAPORE")  # the partner's name, any case
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator(f"tr[data-application='{office['chen']}']")).to_be_visible()
    assert office["alice"] not in _shown(page)

    page.fill("#q", "")
    page.select_option("#school", "me")
    page.select_option("#kind", "student_exchange")
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator(f"tr[data-application='{office['chen']}']")).to_be_visible()
    shown = _shown(page)
    assert office["alice"] not in shown
    for row in page.locator("table.worklist tbody tr").all():
        expect(row.locator("td").nth(1)).to_have_text(words["school"])
    shoot(page, "filtered")

    with page.expect_download() as download:
        page.locator("a[data-export=csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == words["applicant"] and len(rows) - 1 >= len(shown)
    assert {r[1] for r in rows[1:]} == {words["school"]}
    assert "Chen Jing" in {r[0] for r in rows[1:]} and "Alice Wang" not in {r[0] for r in rows[1:]}
    if words["kind"]:
        assert {r[2] for r in rows[1:]} == {words["kind"]}

    with page.expect_download() as download:
        page.locator("a[data-export=xlsx]").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet is not None
    table = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert table[0][0] == words["applicant"] and len(table) == len(rows)
    assert {r[0] for r in table[1:]} == {r[0] for r in rows[1:]}

    phone = open_page(locale=locale, viewport={"width": 375, "height": 740})
    journey.login(phone, base_url, "icd.officer", language=lang)
    phone.goto(page.url)
    expect(phone.locator(f"tr[data-application='{office['chen']}']")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    shoot(phone, "phone")
