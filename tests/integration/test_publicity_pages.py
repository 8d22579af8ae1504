"""The publicity pages (公示) on the embedded system: staff read the running notices and a notice (only what it
publishes), a student gets no such page, the objection form needs its CSRF token and some text (a GOV.UK error
summary, nothing lodged), an objection pauses the period and shows a confirmation, the ICD sees who objected and
another member of staff does not, the ICD's task page offers the level type's outcomes in words; and the
application page links the publicity statement and, once approved, the 任务批件 (both languages' PDFs, the
verification page) with "Cancel this trip" asking for a reason. The browser flow is
tests/browser/test_publicity_flow.py."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from chassis.db import make_sessionmaker
from chassis.settings import Settings
from chassis.workdays import UnknownYear
from gateway.web import messages
from mobility.embedded import Embedded
from services.reviews import deadlines
from tests.integration.test_web_pages import browser, csrf_of, token_for
from tests.support import group_trip
from tests.support.api import PDF
from tests.support.wait import until

CHAIN = [
    {"role": "school_coordinator", "scope": "school", "days": 5},
    {"type": "publicity", "working_days": 5, "role": "icd_officer", "scope": "university", "days": 5},
    {"role": "icd_officer", "scope": "university", "days": 5},
]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("publicity") / "var"),
                                  "MOBILITY_SMTP_PORT": "9", "MOBILITY_RATE_LIMIT_LOGIN": "1000/minute"})
    system = Embedded(settings).start()
    client = system.gateway.test_client()
    admin = {"Authorization": f"Bearer {token_for(client, 'admin')}"}
    chain = client.put("/api/v1/review-chains/faculty_exchange", json={"levels": CHAIN}, headers=admin)
    assert chain.status_code in (200, 201), chain.get_json()
    for year in (datetime.now(UTC).year, datetime.now(UTC).year + 1):  # a period may run into a year the package
        known = client.get(f"/api/v1/calendar/{year}", headers=admin).get_json()  # does not know yet
        if known["source"] == "unknown":
            entered = client.put(f"/api/v1/calendar/{year}", json={"days": [], "demo": True}, headers=admin)
            assert entered.status_code == 200, entered.get_json()
    yield system
    system.stop()


def signed_in(system: Embedded, username: str, language: str = "en") -> FlaskClient:
    """A demo account signed in, its pages in `language` (the accounts' own languages differ)."""
    client = browser(system, username)
    home = client.get("/inbox")
    switched = client.post("/language", data={"lang": language, "next": "/", "csrf_token": csrf_of(home.text)})
    assert switched.status_code == 302
    return client


class Api:
    """The system's API as the demo accounts (for what the pages under test do not do themselves)."""

    def __init__(self, system: Embedded) -> None:
        self.client = system.gateway.test_client()
        self.tokens: dict[str, str] = {}

    def call(self, user: str, method: str, path: str, **kw: Any) -> Any:
        if user not in self.tokens:
            self.tokens[user] = token_for(self.client, user)
        return self.client.open(path, method=method, headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kw)

    def task(self, user: str, application_id: str, level: int) -> dict[str, Any]:
        def found() -> Any:
            tasks = self.call(user, "GET", f"/api/v1/review-tasks?application_id={application_id}").get_json()
            return next((t for t in tasks or [] if t["level"] == level and t["status"] in ("open", "claimed")), None)
        return until(found, what=f"{user}'s task at level {level}")  # type: ignore[no-any-return]

    def decide(self, user: str, task: dict[str, Any], outcome: str = "approve", comment: str | None = None) -> None:
        decided = self.call(user, "POST", f"/api/v1/review-tasks/{task['id']}/decision", json={
            "outcome": outcome, "comment": comment, "application_version": task["application_version"]})
        assert decided.status_code in (200, 201), decided.get_json()

    def notice(self, application_id: str, status: str = "open") -> dict[str, Any]:
        def running() -> Any:
            found = self.call("dean.me", "GET", f"/api/v1/publicity/{application_id}")
            return found.get_json() if found.status_code == 200 and found.get_json()["status"] == status else None
        return until(running, what=f"the notice {status}")  # type: ignore[no-any-return]


def publicised(system: Embedded) -> str:
    """prof.li's group trip (李伟, 王芳, 陈晨 to Germany and France), approved by the coordinator: its publicity
    period runs."""
    api = Api(system)
    created = api.call("prof.li", "POST", "/api/v1/applications", json=group_trip.body())
    assert created.status_code == 201, created.get_json()
    application = created.get_json()
    uploaded = api.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/documents",
                        data={"doc_type": "invitation_letter", "file": (io.BytesIO(PDF), "invitation.pdf")})
    assert uploaded.status_code == 201, uploaded.get_json()
    submitted = api.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/submit",
                         json={"version": application["version"]})
    assert submitted.status_code == 200, submitted.get_json()
    api.decide("coord.cs", api.task("coord.cs", application["id"], 1))
    api.notice(application["id"])
    return str(application["id"])


@pytest.fixture(scope="module")
def trip(system: Embedded) -> str:
    return publicised(system)


def test_staff_read_the_running_notices_and_a_notice_shows_only_what_it_publishes(system: Embedded,
                                                                                  trip: str) -> None:
    dean = signed_in(system, "dean.me")
    listed = dean.get("/publicity")
    assert listed.status_code == 200 and f'data-notice="{trip}"' in listed.text
    row = listed.text.split(f'data-notice="{trip}"')[1].split("</tr>")[0]
    assert "李伟 and 2 others" in row and "Germany" in row and "France" in row and 'data-status="open"' in row
    assert "Running" in row
    assert 'id="publicity-link"' in listed.text  # in the navigation for staff
    page = dean.get(f"/publicity/{trip}")
    assert page.status_code == 200
    for shown in ("李伟", "王芳", "陈晨", "School of Computer Science", "Deputy dean", "Germany", "France",
                  "Present two papers", "Munich", "École normale supérieure", "Technical University of Munich",
                  "Prof. Anna Schmidt", "National Natural Science Foundation grant 62170001", "CN¥51,000.00",
                  f"May 11, {group_trip.YEAR}", 'id="lodge-objection"', "data-days-left"):
        assert shown in page.text, shown
    for private in ("T20081", "Associate professor", "permanent_residence", "Permanent", "official_passport",
                    "9,000", "prof.li"):
        assert private not in page.text, private
    chinese = signed_in(system, "coord.me", "zh").get(f"/publicity/{trip}")
    assert "德国" in chinese.text and "公示" in chinese.text and f"{group_trip.YEAR}年5月11日" in chinese.text
    assert "对此出访提出异议" in chinese.text


def test_a_student_gets_no_publicity_page(system: Embedded, trip: str) -> None:
    alice = browser(system, "alice")
    assert alice.get("/publicity").status_code == 403
    assert alice.get(f"/publicity/{trip}").status_code == 403
    assert 'id="publicity-link"' not in alice.get("/applications").text
    assert browser(system).get("/publicity").status_code == 302  # signed out: to the sign-in page


def test_an_objection_needs_its_csrf_token_and_some_text(system: Embedded, trip: str) -> None:
    coord = signed_in(system, "coord.me")
    refused = coord.post(f"/publicity/{trip}", data={"text": "Too long a trip."})
    assert refused.status_code == 400
    page = coord.get(f"/publicity/{trip}")
    empty = coord.post(f"/publicity/{trip}", data={"csrf_token": csrf_of(page.text), "text": "   "})
    assert empty.status_code == 422
    summary = empty.text.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#text"' in summary and "Say what the objection is." in summary
    assert Api(system).notice(trip)["objections"] == []  # nothing lodged, the period runs


def test_an_objection_pauses_the_period_and_only_the_icd_sees_who_made_it(system: Embedded) -> None:
    trip = publicised(system)
    dean = signed_in(system, "dean.me")
    page = dean.get(f"/publicity/{trip}")
    lodged = dean.post(f"/publicity/{trip}", data={"csrf_token": csrf_of(page.text),
                                                   "text": "The Paris visit duplicates last month's trip."})
    assert lodged.status_code == 302 and lodged.headers["Location"].endswith(f"/publicity/{trip}/objected")
    confirmation = dean.get(lodged.headers["Location"])
    assert 'id="objected"' in confirmation.text and "Objection lodged" in confirmation.text
    assert 'data-status="paused"' in dean.get("/publicity").text.split(f'data-notice="{trip}"')[1].split("</tr>")[0]

    coord = signed_in(system, "coord.me")
    again = coord.post(f"/publicity/{trip}", data={"csrf_token": csrf_of(coord.get(f"/publicity/{trip}").text),
                                                   "text": "Me too."})
    assert again.status_code == 409 and "objections are taken only while it runs" in again.text
    other = coord.get(f"/publicity/{trip}")
    assert "duplicates last month" in other.text and "A member of staff" in other.text
    assert "ME Dean" not in other.text and "data-objector" not in other.text
    assert 'id="lodge-objection"' not in other.text  # paused: no objections taken
    icd = signed_in(system, "icd.officer")
    assert "ME Dean for Foreign Affairs" in icd.get(f"/publicity/{trip}").text

    task = Api(system).task("icd.officer", trip, 2)
    task_page = icd.get(f"/tasks/{task['id']}")
    assert task_page.status_code == 200 and 'id="task-publicity"' in task_page.text
    assert "ME Dean for Foreign Affairs" in task_page.text and "duplicates last month" in task_page.text
    offered = dict(re.findall(r'<option[^>]*value="(\w+)"[^>]*>([^<]+)</option>', task_page.text))
    assert offered == {"uphold_return": "Uphold the objection and return the application",
                       "uphold_reject": "Uphold and reject", "dismiss": "Dismiss the objection (the period resumes)"}
    uncommented = icd.post(f"/tasks/{task['id']}", data={
        "csrf_token": csrf_of(task_page.text), "application_version": task["application_version"],
        "outcome": "uphold_return", "comment": ""})
    assert uncommented.status_code == 422 and "a comment is required to uphold" in uncommented.text
    rejecting = icd.post(f"/tasks/{task['id']}", data={
        "csrf_token": csrf_of(task_page.text), "application_version": task["application_version"],
        "outcome": "uphold_reject", "comment": "Same trip."})
    assert 'id="confirm-reject"' in rejecting.text and 'name="outcome" value="uphold_reject"' in rejecting.text
    dismissed = icd.post(f"/tasks/{task['id']}", data={
        "csrf_token": csrf_of(task_page.text), "application_version": task["application_version"],
        "outcome": "dismiss", "comment": "The visits differ."})
    assert dismissed.status_code == 302
    assert Api(system).notice(trip)["objections"][0]["status"] == "dismissed"
    assert "Dismissed" in signed_in(system, "coord.me").get(f"/publicity/{trip}").text
    waiting = signed_in(system, "icd.officer", "zh").get(f"/tasks/{task['id']}").text
    assert "等待公示期结束" in waiting and "公示中" in waiting and 'id="decide"' not in waiting


def test_the_application_page_links_the_statement_and_the_approval_document(system: Embedded) -> None:
    trip, api = publicised(system), Api(system)
    li = signed_in(system, "prof.li")
    page = li.get(f"/applications/{trip}")
    assert 'id="publicity"' in page.text and 'id="publicity-statement"' in page.text
    assert 'id="approval"' not in page.text
    statement = li.get(f"/applications/{trip}/publicity-statement.pdf")
    assert statement.status_code == 200 and statement.mimetype == "application/pdf"
    assert statement.data.startswith(b"%PDF")
    assert browser(system, "alice").get(f"/applications/{trip}/publicity-statement.pdf").status_code == 404

    with make_sessionmaker(system.engines["reviews"])() as session, session.begin():  # the period is over
        deadlines.end_publicity(session, datetime.now(UTC) + timedelta(days=30), system.settings.timezone)
    api.decide("icd.officer", api.task("icd.officer", trip, 3))
    until(lambda: api.call("prof.li", "GET", f"/api/v1/applications/{trip}/approval").status_code == 200,
          what="the approval document")
    page = li.get(f"/applications/{trip}")
    approval = page.text.split('id="approval"')[1].split("</section>")[0]
    assert "〔" in approval and "Valid" in approval and 'id="approval-zh"' in approval
    assert 'data-publicity-status="ended"' in page.text
    assert "The publicity period (no objection upheld)" in page.text.split("Review decisions")[1]
    for lang in ("zh", "en"):
        pdf = li.get(f"/applications/{trip}/approval.pdf?lang={lang}")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and f"-{lang}.pdf" in pdf.headers[
            "Content-Disposition"]
    path = re.search(r'href="https?://[^/"]+(/verify/[^"]+)"', approval).group(1)  # type: ignore[union-attr]
    assert 'data-status="valid"' in browser(system).get(path).text
    assert browser(system, "alice").get(f"/applications/{trip}/approval.pdf").status_code == 404

    confirm = li.get(f"/applications/{trip}/cancel")
    assert confirm.status_code == 200 and 'id="reason"' in confirm.text
    blank = li.post(f"/applications/{trip}/cancel", data={"csrf_token": csrf_of(confirm.text), "reason": " "})
    assert blank.status_code == 422 and 'href="#reason"' in blank.text
    assert api.call("prof.li", "GET", f"/api/v1/applications/{trip}").get_json()["status"] == "approved"
    done = li.post(f"/applications/{trip}/cancel", data={"csrf_token": csrf_of(confirm.text),
                                                        "reason": "The conference was called off."})
    assert done.status_code == 302
    after = li.get(f"/applications/{trip}")
    assert 'data-approval-status="cancelled"' in after.text and "called off" in after.text
    assert 'data-status="cancelled"' in browser(system).get(path).text


def test_a_year_the_calendar_does_not_know_is_said_in_the_readers_language(system: Embedded) -> None:
    with system.gateway.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert messages.translated(str(UnknownYear(2031))).startswith("还没有2031年的官方日历")
