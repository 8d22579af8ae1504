"""Must show: a staff group trip goes through publicity (公示) to its 任务批件 in the browser, in English and in
Chinese, on a phone-sized screen. The chain is [school coordinator, 5 working days of publicity, ICD officer]
(set through the reviews API, with next year entered in the calendar if the package does not know it yet).
prof.li's three-member, two-country trip (docs/examples/faculty_exchange_group.json, filed through the API: the
form itself is tests/browser/test_group_trip.py) is approved by the coordinator; a member of staff of another
school opens Publicity from the menu, reads the notice and objects; the ICD officer sees the objector's name on
the task and dismisses the objection; the period ends (the deadline sweep run with the clock 30 days on, as
tests/integration/test_publicity.py does); the ICD officer approves; prof.li downloads the 任务批件 in both
languages and opens its verification page, which says valid. Each new page passes axe-core (no serious or
critical violations) and fits the screen. Screenshots go to var/screenshots/test_publicity_to_approval-<lang>/.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from chassis.db import make_sessionmaker
from chassis.settings import Settings
from mobility.embedded import Embedded
from services.reviews import deadlines
from tests.browser import journey
from tests.support import group_trip
from tests.support.api import PDF, Gateway
from tests.support.wait import until

LANGS, PHONE = journey.BROWSER_LOCALES, journey.PHONE
CHAIN = [
    {"role": "school_coordinator", "scope": "school", "days": 5},
    {"type": "publicity", "working_days": 5, "role": "icd_officer", "scope": "university", "days": 5},
    {"role": "icd_officer", "scope": "university", "days": 5},
]


class Running:
    def __init__(self, system: Embedded, base_url: str) -> None:
        self.system, self.base_url, self.api = system, base_url, Gateway(base_url)

    def task(self, user: str, application_id: str, level: int) -> dict[str, Any]:
        def found() -> Any:
            tasks = self.api.call(user, "GET", f"/api/v1/review-tasks?application_id={application_id}").json()
            return next((t for t in tasks if t["level"] == level and t["status"] in ("open", "claimed")), None)
        return until(found, what=f"{user}'s task at level {level}")  # type: ignore[no-any-return]

    def end_the_period(self) -> None:
        """The deadline sweep, its clock 30 days on: the period's last working day is over."""
        with make_sessionmaker(self.system.engines["reviews"])() as session, session.begin():
            deadlines.end_publicity(session, datetime.now(UTC) + timedelta(days=30), self.system.settings.timezone)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("publicity") / "var"),
                                  "MOBILITY_SMTP_PORT": "9", "MOBILITY_RETRY_DELAY_MS": "300"})
    system = Embedded(settings).start()
    server = make_server("127.0.0.1", 0, system.gateway, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    run = Running(system, f"http://127.0.0.1:{server.server_port}")
    chain = run.api.call("admin", "PUT", "/api/v1/review-chains/faculty_exchange", {"levels": CHAIN})
    assert chain.status_code in (200, 201), chain.text
    for year in (datetime.now(UTC).year, datetime.now(UTC).year + 1):  # a period may run into next year
        if run.api.call("admin", "GET", f"/api/v1/calendar/{year}").json()["source"] == "unknown":
            entered = run.api.call("admin", "PUT", f"/api/v1/calendar/{year}", {"days": [], "demo": True})
            assert entered.status_code == 200, entered.text
    yield run
    server.shutdown()
    system.stop()


def _filed(run: Running) -> str:
    """prof.li's group trip with its invitation, submitted."""
    created = run.api.call("prof.li", "POST", "/api/v1/applications", group_trip.body())
    assert created.status_code == 201, created.text
    application = created.json()
    assert run.api.upload("prof.li", application["id"], "invitation_letter", PDF, "invitation.pdf").status_code == 201
    submitted = run.api.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/submit",
                             {"version": application["version"]})
    assert submitted.status_code == 200, submitted.text
    return str(application["id"])




def _path(page: Page, base: str) -> str:
    return page.url.removeprefix(base)


def _decide(page: Page, outcome: str, comment: str = "") -> None:
    page.select_option("#outcome", outcome)
    if comment:
        page.fill("#comment", comment)
    page.click("#decide")
    expect(page.locator(".flash.success")).to_be_visible()


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_publicity_to_approval(running: Running, browser: Browser, open_page: Callable[..., Page],
                               shoot: Callable[[Page, str], None], tmp_path: Path, lang: str) -> None:
    base, problems = running.base_url, []
    application_id = _filed(running)

    coordinator = open_page(locale=LANGS[lang], viewport=PHONE)
    journey.login(coordinator, base, "coord.cs", language=lang)
    coordinator.goto(f"{base}/tasks/{running.task('coord.cs', application_id, 1)['id']}")
    _decide(coordinator, "approve")

    staff = open_page(locale=LANGS[lang], viewport=PHONE)  # of another school, no part in this review
    journey.login(staff, base, "dean.me", language=lang)
    staff.click("#publicity-link")
    journey.reload_until(staff, f"[data-notice='{application_id}']")
    expect(staff.locator("h1")).to_have_text("公示" if lang == "zh" else "Publicity")
    journey.fits(staff)
    shoot(staff, "notices")
    problems += journey.axe_on_phone(browser, base, "dean.me", lang, "/publicity")
    staff.locator(f"[data-notice='{application_id}'] a").click()
    expect(staff.locator("[data-member]")).to_have_count(3)
    expect(staff.locator("#schedule [data-stop]")).to_have_count(2)
    expect(staff.locator("#notice-content")).to_contain_text("德国" if lang == "zh" else "Germany")
    notice_path = _path(staff, base)
    journey.fits(staff)
    shoot(staff, "notice")
    problems += journey.axe_on_phone(browser, base, "dean.me", lang, notice_path)
    staff.click("#lodge-objection")  # empty: the error summary, nothing lodged
    expect(staff.locator(".error-summary a[href='#text']")).to_be_visible()
    staff.fill("#text", "The Paris visit repeats last month's trip of the same school.")
    staff.click("#lodge-objection")
    expect(staff.locator("#objected")).to_be_visible()
    journey.fits(staff)
    shoot(staff, "objected")
    problems += journey.axe_on_phone(browser, base, "dean.me", lang, _path(staff, base))

    icd = open_page(locale=LANGS[lang], viewport=PHONE)
    journey.login(icd, base, "icd.officer", language=lang)
    task_path = f"/tasks/{running.task('icd.officer', application_id, 2)['id']}"
    icd.goto(base + task_path)
    expect(icd.locator("#task-publicity [data-objector]")).to_have_text("ME Dean for Foreign Affairs")
    expect(icd.locator("#outcome option")).to_have_count(3)
    journey.fits(icd)
    shoot(icd, "objection-task")
    problems += journey.axe_on_phone(browser, base, "icd.officer", lang, task_path)
    _decide(icd, "dismiss", "The visits differ in purpose.")
    staff.goto(base + notice_path)
    expect(staff.locator("[data-objection-status=dismissed]")).to_be_visible()

    running.end_the_period()
    icd.goto(f"{base}/tasks/{running.task('icd.officer', application_id, 3)['id']}")
    _decide(icd, "approve")

    applicant = open_page(locale=LANGS[lang], viewport=PHONE)
    journey.login(applicant, base, "prof.li", language=lang)
    applicant.goto(f"{base}/applications/{application_id}")
    journey.reload_until(applicant, "#approval[data-approval-status=valid]")
    expect(applicant.locator("#publicity-statement")).to_be_visible()
    journey.fits(applicant)
    shoot(applicant, "approved")
    problems += journey.axe_on_phone(browser, base, "prof.li", lang, f"/applications/{application_id}")
    for link in ("#approval-zh", "#approval-en", "#publicity-statement"):
        pdf = applicant.request.get(base + str(applicant.locator(link).get_attribute("href")))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf", link
        assert pdf.body().startswith(b"%PDF"), link
    verify_url = str(applicant.locator("#approval-verify").get_attribute("href"))
    public = open_page(locale=LANGS[lang], viewport=PHONE)  # anyone holding the document: no sign-in
    public.goto(base + "/verify/" + verify_url.split("/verify/", 1)[1])
    expect(public.locator("#verification")).to_have_attribute("data-status", "valid")
    expect(public.locator("#verification")).to_contain_text("有效" if lang == "zh" else "Valid")
    shoot(public, "verified")

    applicant.click("#cancel-trip")  # the confirmation page only: the trip stays approved
    expect(applicant.locator("#reason")).to_be_visible()
    journey.fits(applicant)
    problems += journey.axe_on_phone(browser, base, "prof.li", lang, _path(applicant, base))
    assert not problems, "\n".join(problems)
