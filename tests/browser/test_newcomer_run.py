"""Must show (items 11-13): a newcomer's `mobility run` in the browser, in both languages, phone-sized: the
admin reads the caught mail on the Mail sent page, the header carries the university's name and logo, no
request ends in a 404 (the favicon), and the ICD officer's statistics already hold last academic year."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from mobility import demo_history
from mobility.embedded import Embedded
from tests.browser import journey
from tests.integration.test_newcomer_pages import newcomer_settings

PHONE = {"width": 375, "height": 800}


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    system = Embedded(newcomer_settings(tmp_path_factory.mktemp("newcomer-run"))).start(history=True)
    server = make_server("127.0.0.1", 0, system.gateway, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    system.stop()


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize(("lang", "locale", "university", "mail_sent", "sent"), [
    ("en", "en-US", "Example University", "Mail sent", "Sent"),
    ("zh", "zh-CN", "示例大学", "已发邮件", "已发送"),
], ids=["english", "chinese"])
def test_a_newcomer_reads_the_caught_mail_and_last_years_statistics(
        newcomer: str, open_page: Callable[..., Page], shoot: Callable[[Page, str], None],
        lang: str, locale: str, university: str, mail_sent: str, sent: str) -> None:
    missing: list[str] = []
    page = open_page(locale=locale, viewport=PHONE)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    journey.login(page, newcomer, "admin", language=lang)
    expect(page.locator("header .brand")).to_contain_text(university)
    expect(page.locator("header .brand img")).to_be_visible()
    page.goto(f"{newcomer}/admin")
    page.locator("a[href='/admin/mail']").click()
    expect(page.locator("h1")).to_have_text(mail_sent)
    # the newest caught mail: to a demo user, or to a demo partner's exchange office (a nomination)
    expect(page.locator("li.card[data-status=sent]").first).to_contain_text("demo.mobility.local")
    expect(page.locator("li.card[data-status=sent]").first).to_contain_text(sent)
    _fits(page)
    shoot(page, "mail-sent")
    assert page.request.get(f"{newcomer}/favicon.ico").ok  # what a browser asks for on its own, redirected

    officer = open_page(locale=locale, viewport=PHONE)
    journey.login(officer, newcomer, "icd.officer", language=lang)
    year = demo_history.past_year(date.today())
    officer.goto(f"{newcomer}/stats?academic_year={year}")
    expect(officer.locator("svg.chart").first).to_be_visible()
    shoot(officer, "last-year-statistics")
    assert not missing, missing
