"""Must show: the ICD officer opens the statistics dashboard in English and in Chinese, sees the charts and
tables, narrows it to one academic year, and downloads a table and the year's PDF report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pypdf
import pytest
from playwright.sync_api import Page, expect

from tests.browser import journey
from tests.e2e.test_statistics import CAUGHT_UP, _settled, record_the_six
from tests.support.api import Gateway


@pytest.fixture(scope="module")
def office(embedded_gateway: Gateway) -> Gateway:
    record_the_six(embedded_gateway)
    _settled(embedded_gateway, CAUGHT_UP)
    return embedded_gateway


@pytest.mark.parametrize(("lang", "locale", "title", "europe", "year"), [
    ("en", "en-US", "Statistics of international mobility", "Europe", "Academic year 2031–2032"),
    ("zh", "zh-CN", "国际交流统计", "欧洲", "2031–2032 学年"),
], ids=["english", "chinese"])
def test_the_dashboard_in_the_browser(office: Gateway, open_page: Callable[..., Page],
                                      shoot: Callable[[Page, str], None], lang: str, locale: str, title: str,
                                      europe: str, year: str) -> None:
    page = open_page(locale=locale)
    journey.login(page, office.base_url, "icd.officer", language=lang)
    page.locator("header nav a[href='/stats']").click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("svg.chart")).to_have_count(5)
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator(f"svg.chart g[data-label='{europe}']")).to_have_attribute("data-value", "3")
    expect(page.locator("table[data-table=region] tbody tr").first).to_contain_text(europe)
    shoot(page, "dashboard")

    page.select_option("#academic_year", "2031")
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator("[data-scope]")).to_contain_text(year)
    expect(page.locator("table[data-table=kind] tbody tr")).to_have_count(1)  # A and B, both student exchanges
    shoot(page, "one-academic-year")

    with page.expect_download() as download:
        page.locator("a[data-export='region.csv']").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    by_region = {row[0]: row[1:] for row in rows[1:]}
    assert len(by_region) == 2 and by_region[europe] == ["1", "0", "1", "0"]  # A in Europe, B in ASEAN

    report = page.request.get(office.base_url + (page.locator("a[data-report]").get_attribute("href") or ""))
    assert report.ok and report.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report.body())).pages)
    assert year in text
