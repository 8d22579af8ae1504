"""Must show (issue 16, the applicant): start an empty application → task list → upload from the first step →
fill in → check answers → submit; an incomplete submission's error summary whose links move to the fields; the
tracker's level and due date; withdrawing asks first. In Chinese on a phone-sized screen, in English on a desk."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import journey
from tests.support.api import PDF, Gateway


def status_of(page: Page, task: str) -> str | None:
    return page.locator(f"[data-task-key='{task}'] [data-task-status]").get_attribute("data-task-status")


def upload(page: Page, doc_type: str, pdf: Path) -> None:
    """From the task list: the document's task opens the upload with its type chosen."""
    page.click(f"#task-document-{doc_type}")
    expect(page.locator("#document_type")).to_have_value(doc_type)
    page.set_input_files("#file", str(pdf))
    page.locator("#upload button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"] if page.viewport_size else 1280
    assert width <= viewport, f"{page.url} is {width}px wide on a {viewport}px screen"


@pytest.mark.parametrize(("lang", "locale", "viewport"), [
    ("zh", "zh-CN", {"width": 375, "height": 800}),
    ("en", "en-US", None),
], ids=["chinese-phone", "english-desk"])
def test_applying_as_a_task_list(embedded_gateway: Gateway, open_page: Callable[..., Page],
                                 shoot: Callable[[Page, str], None], tmp_path: Path, lang: str, locale: str,
                                 viewport: dict[str, int] | None) -> None:
    base = embedded_gateway.base_url
    page = open_page(locale=locale, viewport=viewport)
    journey.login(page, base, "alice", language=lang)
    page.goto(f"{base}/programs")
    page.locator("[data-program] a.button").first.click()
    page.click("#start-application")
    expect(page.locator("[data-task-key=form] [data-task-status]")).to_have_attribute("data-task-status", "not_started")
    assert status_of(page, "declaration") == "cannot_start"
    offered = page.locator("#document_type option").evaluate_all("options => options.map(o => o.value)")
    assert set(offered) <= {"transcript", "language_certificate", "other"}, offered  # only this kind's
    fits(page)
    shoot(page, "task-list")
    application_url = page.url.split("?")[0].split("#")[0]

    pdf = tmp_path / "transcript.pdf"
    pdf.write_bytes(PDF)
    upload(page, "transcript", pdf)  # a document before any answer
    assert status_of(page, "document-transcript") == "done"

    # submitting now: the error summary takes the focus, and its links move to the fields
    page.click("#check-answers")
    fits(page)
    shoot(page, "check-answers-empty")
    page.click("#submit-application")  # no declaration yet
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    summary.locator("a[href='#declaration']").click()
    expect(page.locator("#declaration")).to_be_focused()
    page.check("#declaration")
    page.click("#submit-application")
    expect(summary).to_be_visible()
    shoot(page, "error-summary")
    summary.locator("a[href$='#gpa']").click()
    expect(page.locator("#gpa")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_have_count(0)

    # fill in, then the last document
    journey.fill_exchange_form(page)
    assert status_of(page, "form") == "done"
    upload(page, "language_certificate", pdf)
    assert status_of(page, "declaration") == "not_started"

    # check answers: every answer with a Change link, then declare and submit
    page.click("#check-answers")
    expect(page.locator("[data-field=gpa]")).to_contain_text("3.72")
    expect(page.locator("[data-field=gpa] a")).to_have_attribute("href", re.compile(r"/edit#gpa$"))
    shoot(page, "check-answers")
    page.check("#declaration")
    page.click("#submit-application")
    under_review = "h1 ~ p [data-status=submitted], h1 ~ p [data-status=in_review]"  # the saga may be quick
    expect(page.locator(under_review)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Version")

    # the tracker: which level of how many, due when
    journey.reload_until(page, "#tracker")
    tracker = page.locator("#tracker")
    expect(tracker).to_have_attribute("data-level", "1")
    expect(tracker.locator("time[data-due]")).to_be_visible()
    expect(tracker.locator("[aria-current=step]")).to_have_count(1)
    expect(page.locator(".timeline")).not_to_contain_text("reviews")
    fits(page)
    shoot(page, "tracker")

    # withdrawing asks first; going back changes nothing
    page.click("#withdraw")
    expect(page.locator("[data-confirm]")).to_be_visible()
    shoot(page, "confirm-withdraw")
    page.click("#cancel")
    expect(page.locator(under_review)).to_be_visible()
    page.click("#withdraw")
    page.click("#confirm")
    expect(page.locator("h1 ~ p [data-status=withdrawn]")).to_be_visible()
    assert page.url.startswith(application_url)


def test_removing_a_document_asks_first(embedded_gateway: Gateway, open_page: Callable[..., Page],
                                        shoot: Callable[[Page, str], None], tmp_path: Path) -> None:
    base = embedded_gateway.base_url
    page = open_page()
    journey.login(page, base, "alice", language="en")
    page.goto(f"{base}/programs")
    page.locator("[data-program] a.button").first.click()
    page.click("#start-application")
    pdf = tmp_path / "transcript.pdf"
    pdf.write_bytes(PDF)
    upload(page, "transcript", pdf)
    page.locator("#documents a[href$='/delete']").click()
    expect(page.locator("[data-confirm]")).to_contain_text("transcript.pdf")
    shoot(page, "confirm-remove")
    page.click("#confirm")
    expect(page.locator(".flash.success")).to_be_visible()
    assert status_of(page, "document-transcript") == "not_started"
