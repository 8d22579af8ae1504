"""Must show: alice applies, uploads, submits; coord.cs, dean.cs and icd.officer approve; alice sees it all.
Once in English (distributed topology) and once in Chinese (embedded topology)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import journey
from tests.support.api import Gateway
from tests.support.stack import Stack

REVIEWERS = ("coord.cs", "dean.cs", "icd.officer")


@pytest.mark.parametrize(("topology", "lang", "locale", "approved", "inbox_word"), [
    ("distributed", "en", "en-US", "approved", "Inbox"),
    ("embedded", "zh", "zh-CN", "已批准", "消息"),
], ids=["english-distributed", "chinese-embedded"])
def test_student_exchange_from_application_to_approval(
    request: pytest.FixtureRequest, open_page: Callable[..., Page], shoot: Callable[[Page, str], None],
    tmp_path: Path, topology: str, lang: str, locale: str, approved: str, inbox_word: str,
) -> None:
    base = request.getfixturevalue(f"{topology}_gateway").base_url
    alice = open_page(locale=locale)
    journey.login(alice, base, "alice", language=lang)
    expect(alice.locator("html")).to_have_attribute("lang", "en" if lang == "en" else "zh-CN")
    expect(alice.locator("header nav")).to_contain_text(inbox_word)
    url = journey.apply_for_exchange(alice, tmp_path)
    shoot(alice, "draft-with-documents")
    journey.submit(alice)
    shoot(alice, "submitted")
    application_id = url.rstrip("/").rsplit("/", 1)[1]

    for reviewer in REVIEWERS:
        page = open_page(locale=locale)
        journey.login(page, base, reviewer, language=lang)
        journey.approve_from_queue(page, application_id, f"Approved by {reviewer}.")
        shoot(page, f"decided-by-{reviewer}")

    alice.goto(url)
    journey.reload_until(alice, "h1 ~ p [data-status=approved]")
    expect(alice.locator("h1 ~ p [data-status=approved]")).to_have_text(approved)
    expect(alice.locator(".timeline")).to_contain_text(approved)
    shoot(alice, "approved")
    alice.goto(f"{base}/inbox")
    journey.reload_until(alice, "[data-event='application.approved']")
    expect(alice.locator("header .badge")).to_be_visible()
    shoot(alice, "inbox")


def test_pages_fit_a_phone_screen(embedded_gateway: Gateway, open_page: Callable[..., Page],
                                  shoot: Callable[[Page, str], None]) -> None:
    page = open_page(viewport={"width": 375, "height": 740})
    journey.login(page, embedded_gateway.base_url, "alice")
    for path in ("/programs", "/applications", "/inbox"):
        page.goto(f"{embedded_gateway.base_url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px screen"
        shoot(page, path.strip("/"))


def test_the_login_form_is_usable_by_keyboard(embedded_gateway: Gateway, open_page: Callable[..., Page]) -> None:
    page = open_page()
    page.goto(f"{embedded_gateway.base_url}/login")
    expect(page.locator("#username")).to_be_focused()  # autofocus: typing starts there
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    expect(page.locator("header .who")).to_have_text("Alice Wang")


def test_a_service_that_is_down_gets_a_friendly_page_and_the_rest_still_works(
    stack: Stack, distributed_gateway: Gateway, open_page: Callable[..., Page], shoot: Callable[[Page, str], None],
) -> None:
    base = distributed_gateway.base_url
    page = open_page()
    journey.login(page, base, "alice")
    stack.kill("api-notifications")
    try:
        response = page.goto(f"{base}/inbox")
        assert response is not None and response.status == 503
        expect(page.locator("[data-error='503']")).to_be_visible()
        expect(page.locator("h1")).to_have_text("This part is not available right now")
        shoot(page, "inbox-down")
        mine = page.goto(f"{base}/applications")
        assert mine is not None and mine.status == 200  # applications still work; only the badge is gone
        expect(page.locator("header .badge")).to_have_count(0)
        programs = page.goto(f"{base}/programs")
        assert programs is not None and programs.status == 200
    finally:
        stack.start_api("notifications")
        stack.wait_ready("notifications")
    page.goto(f"{base}/inbox")
    expect(page.locator("h1")).to_have_text("Inbox")
