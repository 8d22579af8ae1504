"""The reviewers' and the office's pages after approval on the embedded system: a school reviewer returns a trip
report with a comment (one is required, CSRF enforced) and then accepts it, the ICD cannot decide before the school
and then accepts it, and the report appears on the publicity page; a student's credits are recognised; the overdue
dashboard shows each school's reviewers their school only; the "After approval" settings save a category's report
rule and a school-hold switch; a student reaches none of these pages."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from mobility.embedded import Embedded
from services.mobilities import handlers
from tests.integration import test_web_pages
from tests.integration.test_web_pages import browser, csrf_of, token_for
from tests.support.mobilities import PNG, approval

system = test_web_pages.system  # the embedded system those page tests run on (a module fixture)
SECTIONS = ("schedule", "results", "contacts", "follow_up", "spending")
LONG = "Visited the partner laboratory and agreed a joint project on distributed systems. " * 6  # ~500 chars


def _today(system: Embedded) -> date:
    return datetime.now(ZoneInfo(system.settings.timezone)).date()


def _api(system: Embedded, user: str, method: str, path: str, **kw: Any) -> Any:
    client = system.gateway.test_client()
    return client.open(f"/api/v1/mobilities{path}", method=method,
                       headers={"Authorization": f"Bearer {token_for(client, user)}"}, **kw)


def _approved(system: Embedded, **kw: Any) -> dict[str, Any]:
    """A record from an approval delivered to the mobilities service as its consumer would (the first traveller)."""
    data = approval(**kw)
    event = envelope.new_event("application.approved", "/services/applications", data["application_id"], data,
                               aggregateversion=5)
    with make_sessionmaker(system.engines["mobilities"])() as session, session.begin():
        apply(handlers.HANDLERS, session, event)
    found = _api(system, "icd.officer", "GET", f"?application_id={data['application_id']}")
    assert found.status_code == 200, found.get_json()
    return found.get_json()["items"][0]  # type: ignore[no-any-return]


def _step(system: Embedded, user: str, record: dict[str, Any], path: str, body: Any = None) -> dict[str, Any]:
    done = _api(system, user, "POST", f"/{record['id']}{path}", json=body if body is not None else {})
    assert done.status_code in (200, 201), done.get_json()
    return done.get_json()  # type: ignore[no-any-return]


def _upload(system: Embedded, user: str, record: dict[str, Any], file_type: str) -> None:
    done = _api(system, user, "POST", f"/{record['id']}/files",
                data={"file_type": file_type, "file": (io.BytesIO(PNG), f"{file_type}.png")})
    assert done.status_code == 201, done.get_json()


def _trip(system: Embedded, name: str, school: str = "cs", applicant: str = "prof.li", back_days: int = 3,
          user: str | None = None) -> dict[str, Any]:
    """A staff trip with one traveller, gone and back `back_days` ago (its report falls due 15 days after)."""
    today, user = _today(system), user or applicant
    record = _approved(system, school=school, applicant=applicant, start=str(today - timedelta(days=back_days + 5)),
                       end=str(today - timedelta(days=back_days)),
                       travellers=[{"name": name, "staff_number": None, "role": "leader"}])
    _step(system, user, record, "/checklist/passport_collected", {"done": True})
    _step(system, user, record, "/departure", {"date": str(today - timedelta(days=back_days + 5))})
    return _step(system, user, record, "/return", {"date": str(today - timedelta(days=back_days))})


def _handed_in(system: Embedded, name: str) -> dict[str, Any]:
    record = _trip(system, name)
    sections = {section: f"{section}: {LONG}" for section in SECTIONS}
    assert _api(system, "prof.li", "PUT", f"/{record['id']}/report", json={"sections": sections}).status_code == 200
    _upload(system, "prof.li", record, "photo")
    _upload(system, "prof.li", record, "photo")
    return _step(system, "prof.li", record, "/report/submit")


def _report_status(system: Embedded, record: dict[str, Any]) -> str:
    return str(_api(system, "prof.li", "GET", f"/{record['id']}").get_json()["report"]["status"])


def reader(system: Embedded, username: str, lang: str = "en") -> FlaskClient:
    """A signed-in browser in `lang` (the demo reviewers read Chinese; the switch is saved on the account)."""
    client = browser(system, username)
    token = csrf_of(client.get("/applications").text)
    assert client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/"}).status_code == 302
    return client


def _post(client: FlaskClient, path: str, **data: object) -> Any:
    return client.post(path, data={"csrf_token": csrf_of(client.get(path).text), **data})


def _summary(html: str) -> list[str]:
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", box.group(0), re.S)] \
        if box else []


def test_a_report_goes_back_once_then_through_the_school_and_the_icd_to_the_publicity_page(system: Embedded) -> None:
    name = f"Traveller {uuid.uuid4().hex[:6]}"
    record = _handed_in(system, name)
    review = f"/mobilities/{record['id']}/review"
    coord = reader(system, "coord.cs")
    queue = coord.get("/mobilities/reports")
    assert queue.status_code == 200 and f'data-mobility="{record["id"]}" data-stage="school"' in queue.text
    assert "Trip reports to review" in coord.get("/applications").text  # the reviewers' navigation
    chinese = reader(system, "coord.cs", "zh").get("/mobilities/reports").text
    assert "待审出访报告" in chinese and "学院审核" in chinese and ">school<" not in chinese
    coord = reader(system, "coord.cs")
    assert record["id"] not in reader(system, "coord.me").get("/mobilities/reports").text
    assert reader(system, "coord.me").get(review).status_code == 404  # another school's report

    page = coord.get(review)
    assert page.status_code == 200 and name in page.text and "Contacts made" in page.text
    assert "results: Visited the partner laboratory" in page.text and 'id="decision"' in page.text
    assert reader(system, "coord.cs").get(f"/mobilities/{record['id']}").status_code == 200  # the whole record
    photos = re.findall(r'href="(/mobilities/[^"]+/review/files/[^"]+)"', page.text)
    assert len(photos) == 2
    photo = coord.get(photos[0])
    assert photo.status_code == 200 and photo.data == PNG and photo.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in photo.headers["Content-Disposition"]

    assert coord.post(review, data={"outcome": "return", "comment": "Name them."}).status_code == 400  # no CSRF
    nothing = _post(coord, review)
    assert nothing.status_code == 422 and _summary(nothing.text) == [
        "Your decision: Choose whether to accept the report or return it."]
    no_comment = _post(coord, review, outcome="return", comment="  ")
    assert no_comment.status_code == 422
    assert _summary(no_comment.text) == ["Comment (required to return it: say what to change): Say what to change."]
    assert 'href="#comment"' in no_comment.text and _report_status(system, record) == "submitted"
    returned = _post(coord, review, outcome="return", comment="Name the contacts you met.")
    assert returned.status_code == 302 and returned.location.endswith("/mobilities/reports")
    assert _report_status(system, record) == "returned"
    assert "returned to the traveller" in coord.get("/mobilities/reports").text
    being_corrected = coord.get(review).text
    assert 'id="not-handed-in"' in being_corrected and "results: Visited" not in being_corrected
    assert "Name the contacts you met." in being_corrected  # the comment it went back with
    _step(system, "prof.li", record, "/report/submit")

    officer = reader(system, "icd.officer")
    early = officer.get(review)
    assert 'id="decision"' not in early.text and "waits for the school's reviewers" in early.text
    refused = _post(officer, review, outcome="accept")
    assert refused.status_code == 403 and "This report waits for the school." in refused.text
    assert _report_status(system, record) == "submitted"

    assert _post(coord, review, outcome="accept").status_code == 302
    assert _report_status(system, record) == "school_accepted"
    assert f'data-mobility="{record["id"]}" data-stage="icd"' in officer.get("/mobilities/reports").text
    late = _post(coord, review, outcome="accept")  # the school's stage is over
    assert late.status_code == 403 and _report_status(system, record) == "school_accepted"
    assert _post(officer, review, outcome="accept", comment="Good work.").status_code == 302
    assert _report_status(system, record) == "accepted"
    again = _post(coord, review, outcome="accept")
    assert again.status_code == 409 and "decided already" in again.text

    publicity = reader(system, "prof.li").get("/publicity")
    assert publicity.status_code == 200 and f'data-published-report="{record["id"]}"' in publicity.text
    shown = publicity.text.split(f'data-published-report="{record["id"]}"')[1].split("</article>")[0]
    assert name in shown and "School of Computer Science" in shown
    assert "data-section=\"spending\"" in shown
    assert "follow_up: Visited the partner laboratory" in shown


def test_a_students_credits_are_recognised_by_the_school(system: Embedded) -> None:
    today = _today(system)
    record = _approved(system, kind="student_exchange", applicant="alice", school="cs", category=None,
                       travellers=[], start=str(today - timedelta(days=40)), end=str(today - timedelta(days=2)))
    for item in ("insurance", "visa", "safety_briefing"):
        _step(system, "alice", record, f"/checklist/{item}", {"done": True})
    _step(system, "alice", record, "/departure", {"date": str(today - timedelta(days=40))})
    _upload(system, "alice", record, "arrival_confirmation")
    _step(system, "alice", record, "/arrival", {"date": str(today - timedelta(days=39))})
    _step(system, "alice", record, "/return", {"date": str(today - timedelta(days=2))})
    path = f"/mobilities/{record['id']}/recognitions"
    coord = reader(system, "coord.cs")
    assert "uploaded the transcript" in coord.get(path).text  # not yet: recorded after the transcript
    _upload(system, "alice", record, "transcript")
    assert path in coord.get("/mobilities/reports").text  # listed under "Credits to recognise"

    course = {"host_course": "Distributed Systems", "credits": "7.5", "grade": "1.7",
              "home_course": "Distributed Computing", "recognised_credits": "4"}
    bad = _post(coord, path, **{**course, "credits": "many", "home_course": ""})
    assert bad.status_code == 422
    entries = _summary(bad.text)
    assert "Credits at the host: Not a valid number." in entries, entries
    assert "Course recognised at home: Missing data for required field." in entries, entries
    assert reader(system, "coord.me").get(path).status_code == 404
    assert _post(coord, path, **course).status_code == 302
    page = coord.get(path).text
    assert "Distributed Computing" in page and "7.5" in page
    assert _api(system, "alice", "GET", f"/{record['id']}").get_json()["status"] == "closed"


def test_the_overdue_page_shows_each_school_its_own(system: Embedded) -> None:
    cs = _trip(system, f"Late CS {uuid.uuid4().hex[:6]}", back_days=30)
    me = _trip(system, f"Late ME {uuid.uuid4().hex[:6]}", school="me", applicant="prof.wu", back_days=20,
               user="icd.officer")  # the office confirms for the traveller
    coord_cs = reader(system, "coord.cs").get("/mobilities/overdue")
    assert coord_cs.status_code == 200
    row = re.search(rf'<tr data-mobility="{cs["id"]}".*?</tr>', coord_cs.text, re.S)
    assert row and cs["person"]["name"] in row.group(0) and "Trip report" in row.group(0)
    assert 'data-days="15"' in row.group(0) and "School of Computer Science" in row.group(0)
    assert me["id"] not in coord_cs.text
    coord_me = reader(system, "coord.me").get("/mobilities/overdue").text
    assert me["id"] in coord_me and cs["id"] not in coord_me and 'data-days="5"' in coord_me
    office = reader(system, "icd.officer").get("/mobilities/overdue").text
    assert cs["id"] in office and me["id"] in office
    chinese = reader(system, "coord.cs", "zh").get("/mobilities/overdue").text
    assert "计算机学院" in chinese


def test_the_office_saves_a_report_rule_and_a_school_hold(system: Embedded) -> None:
    officer = reader(system, "icd.officer")
    assert "/admin/after-approval" in officer.get("/admin").text
    page = officer.get("/admin/after-approval")
    assert page.status_code == 200 and 'data-rule="faculty_exchange-taiwan"' in page.text
    assert 'data-rule="hosted_event-all"' in page.text and 'data-school="me" data-on="off"' in page.text
    rule = {"what": "rule", "kind": "faculty_exchange", "category": "taiwan", "min_chars": "2500", "photos": "3",
            "due_days": "20", "publish_days": "30"}
    assert officer.post("/admin/after-approval", data=rule).status_code == 400  # no CSRF token
    refused = _post(officer, "/admin/after-approval", **{**rule, "photos": "-1"})
    assert refused.status_code == 422
    assert _summary(refused.text) == [
        "Photos required: Must be greater than or equal to 0 and less than or equal to 50."]
    assert 'href="#faculty_exchange-taiwan-photos"' in refused.text
    assert 'id="faculty_exchange-taiwan-photos"' in refused.text
    rules = _api(system, "icd.officer", "GET", "/report-rules").get_json()["rules"]
    assert not any(r["category"] == "taiwan" for r in rules)  # nothing saved
    assert _post(officer, "/admin/after-approval", **rule).status_code == 302
    row = re.search(r'<tr data-rule="faculty_exchange-taiwan">.*?</tr>', officer.get("/admin/after-approval").text,
                    re.S)
    assert row and "<td data-label=\"Shortest report (characters)\">2500</td>" in row.group(0)
    assert "as for every category" not in row.group(0)
    rules = _api(system, "icd.officer", "GET", "/report-rules").get_json()["rules"]
    assert {"kind": "faculty_exchange", "category": "taiwan", "min_chars": 2500, "photos": 3, "due_days": 20,
            "publish_days": 30, "attendee_list": False} in rules

    assert _post(officer, "/admin/after-approval", what="hold", school="me", on="1").status_code == 302
    assert 'data-school="me" data-on="on"' in officer.get("/admin/after-approval").text
    assert _api(system, "icd.officer", "GET", "/school-holds/me").get_json()["on"] is True
    assert _post(officer, "/admin/after-approval", what="hold", school="me", on="0").status_code == 302
    assert _api(system, "icd.officer", "GET", "/school-holds/me").get_json()["on"] is False
    assert reader(system, "coord.cs").get("/admin/after-approval").status_code == 403


def test_a_student_reaches_none_of_the_reviewers_pages(system: Embedded) -> None:
    alice = reader(system, "alice")
    some = uuid.uuid4()
    for path in ("/mobilities/reports", "/mobilities/overdue", f"/mobilities/{some}/review",
                 f"/mobilities/{some}/recognitions", "/admin/after-approval"):
        assert alice.get(path).status_code == 403, path
    assert alice.post(f"/mobilities/{some}/review", data={"csrf_token": csrf_of(alice.get("/applications").text),
                                                          "outcome": "accept"}).status_code == 403
    assert "Trip reports to review" not in alice.get("/applications").text
