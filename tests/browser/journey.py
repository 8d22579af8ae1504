"""What a person does in the browser, step by step, by stable hooks (ids, names, data-*), not by wording."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.support.api import PDF


def login(page: Page, base_url: str, username: str, language: str | None = None) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.locator("form:has(#password) button[type=submit]").click()
    expect(page.locator("header .who")).to_be_visible()
    switch = page.locator(f"button[name=lang][value={language}]")
    if language is not None and switch.count():  # the account's own language differs: switch (and keep it)
        switch.click()
        expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-CN")


def logout(page: Page) -> None:
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("#username")).to_be_visible()


def reload_until(page: Page, selector: str, timeout: float = 30) -> None:
    """The system is asynchronous (events): reload the page until `selector` shows up."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{selector} did not appear on {page.url}"
        time.sleep(0.5)
        page.reload()


def fill_exchange_form(page: Page) -> None:
    """A student exchange's form filled in on the page it is shown on, then saved."""
    page.select_option("#partner_choices-0", index=1)
    page.select_option("#term", index=len(page.locator("#term option").all()) - 1)
    page.fill("#gpa", "3.72")
    page.select_option("#language_certificate-type", "IELTS")
    page.fill("#language_certificate-score", "7.5")
    page.fill("#motivation", "I want to study distributed systems abroad.")
    page.click("button[name=action][value=save]")


def apply_for_exchange(page: Page, tmp: Path) -> str:
    """From the programs page to a submitted student exchange; returns the application's URL."""
    page.goto(re.sub(r"(https?://[^/]+).*", r"\1/programs", page.url))
    page.locator("[data-program] a.button").first.click()
    fill_exchange_form(page)
    expect(page.locator("[data-status=draft]").first).to_be_visible()
    pdf = tmp / "transcript.pdf"
    pdf.write_bytes(PDF)
    for doc_type in ("transcript", "language_certificate"):
        page.select_option("#document_type", doc_type)
        page.set_input_files("#file", str(pdf))
        page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
        expect(page.locator(".flash.success")).to_be_visible()
    return page.url


def submit(page: Page) -> None:
    """From the application's task list: check the answers, declare, submit."""
    page.click("#check-answers")
    page.check("#declaration")
    page.click("#submit-application")
    expect(page.locator("h1 ~ p [data-status=submitted]")).to_be_visible()


def approve_from_queue(page: Page, application_id: str, comment: str) -> None:
    """By the application's id: its title is in the reader's language on its page, the task's may not be."""
    page.goto(re.sub(r"(https?://[^/]+).*", r"\1/queue", page.url))
    row = f"tr[data-task][data-application='{application_id}']"
    reload_until(page, row)
    page.locator(row).first.locator("form button").click()  # claim → the task page
    page.select_option("#outcome", "approve")
    page.fill("#comment", comment)
    page.click("#decide")
    expect(page.locator(".flash.success")).to_be_visible()


PHONE = {"width": 375, "height": 800}
BROWSER_LOCALES = {"en": "en-US", "zh": "zh-CN"}


def axe_on_phone(browser: Browser, base_url: str, user: str, lang: str, path: str) -> list[str]:
    """axe-core's serious and critical violations on one page, signed in as `user` on a phone-sized screen (a
    context of its own with the CSP bypassed, to inject axe)."""
    from tests.browser.test_every_page import AXE, RUN_AXE, SERIOUS

    context = browser.new_context(locale=BROWSER_LOCALES[lang], bypass_csp=True, viewport=PHONE)
    try:
        page = context.new_page()
        login(page, base_url, user, language=lang)
        page.goto(base_url + path)
        page.add_script_tag(path=str(AXE))
        return [f"{path}: axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]
    finally:
        context.close()


def fits(page: Page) -> None:
    """No sideways scrolling: the page is no wider than its window."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide in a {width[1]} px window"

