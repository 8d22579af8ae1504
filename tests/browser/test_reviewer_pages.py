"""Must show, in English and in Chinese: two reviewers on one task, the second's late decision refused in words
with the typed comment kept; in round 2 the reviewer sees the changed field and the added document; the queue
searched by name and filtered by overdue; the start page shows each user what needs them; a reject is confirmed
first, and going back keeps the comment."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import journey
from tests.support.api import Gateway

LANGUAGES = [("en", "en-US"), ("zh", "zh-CN")]
WORDS = {
    "en": {"late": "Already decided by CS Foreign Affairs Coordinator at", "gpa": "GPA (0–4)",
           "transcript": "Transcript: transcript-corrected.pdf", "start": "What needs you now",
           "confirm": "Reject this application?"},
    "zh": {"late": "已由 CS Foreign Affairs Coordinator 于", "gpa": "GPA（0–4）",
           "transcript": "成绩单: transcript-corrected.pdf", "start": "现在需要您处理的事项",
           "confirm": "确定拒绝此申请吗？"},
}


def _task(gateway: Gateway, application_id: str, round_: int = 1) -> dict[str, Any]:
    """The application's open task of that round, as coord.cs sees it (the review is asynchronous)."""
    deadline = time.monotonic() + 30
    while True:
        tasks = gateway.call("coord.cs", "GET", f"/api/v1/review-tasks?application_id={application_id}").json()
        found = [t for t in tasks if t["round"] == round_]
        if found:
            return found[0]  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"no round {round_} task for {application_id}"
        time.sleep(0.3)


@pytest.mark.parametrize(("lang", "locale"), LANGUAGES, ids=["english", "chinese"])
def test_a_late_decision_keeps_the_comment(embedded_gateway: Gateway, open_page: Callable[..., Page],
                                           shoot: Callable[[Page, str], None], lang: str, locale: str) -> None:
    application = embedded_gateway.apply_and_submit("alice", "student_exchange")
    task = _task(embedded_gateway, application["id"])
    base = embedded_gateway.base_url
    first, second = open_page(locale=locale), open_page(locale=locale)
    journey.login(first, base, "coord.cs", language=lang)
    journey.login(second, base, "admin", language=lang)
    for page in (first, second):  # both open the unclaimed task: both may decide
        page.goto(f"{base}/tasks/{task['id']}")
        expect(page.locator("#decide")).to_be_visible()
    first.select_option("#outcome", "approve")
    first.click("#decide")
    expect(first.locator(".flash.success")).to_be_visible()

    comment = "Please attach the IELTS report as well."
    second.select_option("#outcome", "return")
    second.fill("#comment", comment)
    second.click("#decide")
    expect(second.locator(".flash.error")).to_contain_text(WORDS[lang]["late"])
    expect(second.locator("#comment")).to_have_value(comment)
    expect(second.locator("[data-holder]")).to_have_attribute("data-holder", "coord.cs")
    shoot(second, "late-decision")


@pytest.mark.parametrize(("lang", "locale"), LANGUAGES, ids=["english", "chinese"])
def test_round_two_shows_what_changed_and_the_start_pages(
        embedded_gateway: Gateway, open_page: Callable[..., Page], shoot: Callable[[Page, str], None],
        lang: str, locale: str) -> None:
    gateway, base = embedded_gateway, embedded_gateway.base_url
    application = gateway.apply_and_submit("alice", "student_exchange")
    path = f"/api/v1/applications/{application['id']}"
    task = _task(gateway, application["id"])
    returned = gateway.call("coord.cs", "POST", f"/api/v1/review-tasks/{task['id']}/decision", json={
        "outcome": "return", "comment": "Your GPA looks wrong.", "application_version": task["application_version"]})
    assert returned.status_code == 201, returned.text

    alice = open_page(locale=locale)
    journey.login(alice, base, "alice", language=lang)  # lands on the start page
    alice.goto(f"{base}/")
    expect(alice.locator("h1")).to_have_text(WORDS[lang]["start"])
    journey.reload_until(alice, f"#returned [data-application='{application['id']}'] a")
    shoot(alice, "start-applicant")
    alice.locator(f"#returned [data-application='{application['id']}'] a").click()
    expect(alice.locator("h1")).to_be_visible()
    assert alice.url.endswith(f"/applications/{application['id']}")

    version = gateway.call("alice", "GET", path).json()["version"]
    edited = gateway.call("alice", "PATCH", path, json={"version": version, "form": {"gpa": "3.91"}})
    assert edited.status_code == 200, edited.text
    assert gateway.upload("alice", application["id"], "transcript", filename="transcript-corrected.pdf"
                          ).status_code == 201
    assert gateway.submit("alice", application["id"]).status_code == 200
    second_round = _task(gateway, application["id"], round_=2)

    coord = open_page(locale=locale)
    journey.login(coord, base, "coord.cs", language=lang)
    expect(coord.locator("h1")).to_have_text(WORDS[lang]["start"])
    expect(coord.locator("#tasks-due-soon, #overdue-tasks")).to_have_count(2)
    shoot(coord, "start-reviewer")
    coord.goto(f"{base}/queue")
    coord.fill("#q", "alice wang")
    coord.locator("form.filters button[type=submit]").click()
    expect(coord.locator(f"tr[data-task='{second_round['id']}']")).to_be_visible()
    coord.fill("#q", "nobody such")
    coord.locator("form.filters button[type=submit]").click()
    expect(coord.locator(f"tr[data-task='{second_round['id']}']")).to_have_count(0)
    coord.fill("#q", "alice")
    coord.select_option("#overdue", "true")
    coord.locator("form.filters button[type=submit]").click()
    expect(coord.locator(f"tr[data-task='{second_round['id']}']")).to_have_count(0)  # due in days, not overdue
    coord.select_option("#overdue", "false")
    coord.locator("form.filters button[type=submit]").click()
    expect(coord.locator(f"tr[data-task='{second_round['id']}']")).to_be_visible()
    shoot(coord, "queue-search")

    coord.locator(f"tr[data-task='{second_round['id']}'] a").first.click()
    changes = coord.locator("#changes")
    expect(changes).to_be_visible()
    expect(changes.locator("tr[data-changed-field]")).to_have_count(1)
    row = changes.locator("tr[data-changed-field]")
    expect(row.locator("th")).to_have_text(WORDS[lang]["gpa"])
    expect(row.locator("del")).to_have_text("3.62")
    expect(row.locator("ins")).to_have_text("3.91")
    expect(changes.locator("[data-document-added]")).to_have_text(WORDS[lang]["transcript"])
    shoot(coord, "round-two-changes")


@pytest.mark.parametrize(("lang", "locale"), LANGUAGES, ids=["english", "chinese"])
def test_a_reject_is_confirmed_first(embedded_gateway: Gateway, open_page: Callable[..., Page],
                                     shoot: Callable[[Page, str], None], lang: str, locale: str) -> None:
    application = embedded_gateway.apply_and_submit("alice", "student_exchange")
    task = _task(embedded_gateway, application["id"])
    page = open_page(locale=locale)
    journey.login(page, embedded_gateway.base_url, "coord.cs", language=lang)
    page.goto(f"{embedded_gateway.base_url}/tasks/{task['id']}")
    comment = "The program is not open to second-year students."
    page.select_option("#outcome", "reject")
    page.fill("#comment", comment)
    page.click("#decide")
    expect(page.locator("h1")).to_have_text(WORDS[lang]["confirm"])
    shoot(page, "reject-confirmation")
    page.click("#back")  # no: the form again, with the comment
    expect(page.locator("#comment")).to_have_value(comment)
    expect(page.locator("#outcome")).to_have_value("reject")
    page.click("#decide")
    page.click("#confirm-reject")
    expect(page.locator(".flash.success")).to_be_visible()
    decided = embedded_gateway.call("coord.cs", "GET", f"/api/v1/review-tasks/{task['id']}").json()
    assert decided["outcome"] == "rejected"
