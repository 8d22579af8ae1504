"""The traveller's pages after approval, on the embedded system: a staff group trip approved by the office becomes
one record per member under "My trips"; the leader's record goes through its checklist, departure and return with
dates typed as day, month and year, and its report is saved as a draft and handed in with its photos. A refusal of
the service (409: the checklist is not done; 422: a date in the future, a report too short) is shown in words in an
error summary linking to the field, and changes nothing; a form without its CSRF token is refused; a member who did
not go is ended after a confirmation with a reason; a later end date waits for approval; another user sees nothing.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from mobility.embedded import Embedded
from services.mobilities import handlers
from services.mobilities.models import Mobility
from tests.integration.test_change_request_pages import _approved_trip
from tests.integration.test_group_trip_pages import speaking
from tests.integration.test_web_pages import browser, csrf_of, system, token_for  # noqa: F401
from tests.support.mobilities import PNG, approval
from tests.support.wait import until

LONG = "Met the partner laboratory and agreed a joint project on distributed systems with two visits. " * 6


def _records(system: Embedded, application_id: str) -> list[dict[str, Any]]:  # noqa: F811
    client = system.gateway.test_client()
    reply = client.get(f"/api/v1/mobilities?application_id={application_id}",
                       headers={"Authorization": f"Bearer {token_for(client, 'prof.li')}"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["items"]  # type: ignore[no-any-return]


def _record(system: Embedded, mobility_id: str) -> dict[str, Any]:  # noqa: F811
    client = system.gateway.test_client()
    reply = client.get(f"/api/v1/mobilities/{mobility_id}",
                       headers={"Authorization": f"Bearer {token_for(client, 'prof.li')}"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def trip(system: Embedded) -> Iterator[list[dict[str, Any]]]:  # noqa: F811
    """prof.li's approved group trip of three: its records, the leader first."""
    application_id = _approved_trip(system)
    yield until(lambda: [r for r in _records(system, application_id) if len(_records(system, application_id)) == 3],
                what="the three mobility records")


def _today(system: Embedded) -> date:  # noqa: F811
    return datetime.now(ZoneInfo(system.settings.timezone)).date()


def _date(on: date, prefix: str) -> dict[str, str]:
    return {f"{prefix}-day": str(on.day), f"{prefix}-month": str(on.month), f"{prefix}-year": str(on.year)}


def _summary(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (href, text)."""
    box = page.split('class="error-summary"', 1)
    assert len(box) == 2, "no error summary on the page"
    return [(href, html.unescape(re.sub(r"<[^>]+>", "", text)))
            for href, text in re.findall(r'<li><a href="([^"]+)">(.*?)</a></li>', box[1].split("</ul>", 1)[0])]


def test_my_trips_lists_each_person_in_words(system: Embedded, trip: list[dict[str, Any]]) -> None:  # noqa: F811
    li = speaking(browser(system, "prof.li"), "en")
    page = li.get("/mobilities")
    assert page.status_code == 200 and 'id="trips-link"' in page.text
    for record in trip:
        assert f'data-mobility="{record["id"]}"' in page.text and record["person"]["name"] in page.text
    assert "Planned" in page.text and "Checklist before departure: 1 to do" in page.text
    assert "planned" not in re.sub(r"<[^>]+>", " ", page.text).split()  # words, not codes
    leader = li.get(f"/mobilities/{trip[0]['id']}")
    assert leader.status_code == 200
    assert "Group leader" in leader.text and "Passport collected from the office" in leader.text
    group = leader.text.split('id="group"')[1].split("</dd>")[0]
    assert trip[1]["person"]["name"] in group and trip[2]["person"]["name"] in group
    assert trip[0]["person"]["name"] not in group

    alice = browser(system, "alice")
    assert alice.get(f"/mobilities/{trip[0]['id']}").status_code == 404
    assert trip[0]["id"] not in alice.get("/mobilities").text


def test_the_leader_goes_and_comes_back_and_hands_in_the_report(system: Embedded,  # noqa: F811
                                                                trip: list[dict[str, Any]]) -> None:
    li = speaking(browser(system, "prof.li"), "en")
    leader = trip[0]["id"]
    path = f"/mobilities/{leader}"
    today = _today(system)
    token = csrf_of(li.get(path).text)

    # 409: the checklist is not done — said in words at the departure's date, nothing changed
    early = li.post(f"{path}/dated/departure", data={"csrf_token": token, **_date(today, "departure")})
    assert early.status_code == 409
    assert _summary(early.text) == [("#departure-day", "The checklist before departure is not complete: "
                                                       "Passport collected from the office.")]
    assert _record(system, leader)["status"] == "planned"

    # a form without its CSRF token is refused, and changes nothing
    assert li.post(f"{path}/checklist/passport_collected").status_code == 400
    assert not _record(system, leader)["checklist"][0]["done"]

    ticked = li.post(f"{path}/checklist/passport_collected", data={"csrf_token": token}, follow_redirects=True)
    assert ticked.status_code == 200 and "is done." in ticked.text and 'data-done="yes"' in ticked.text

    # the page's own checks of a typed date, then the service's 422 (a day in the future): nothing changed
    blank = li.post(f"{path}/dated/departure", data={"csrf_token": token})
    assert blank.status_code == 422 and _summary(blank.text) == [("#departure-day", "Enter the date.")]
    unreal = li.post(f"{path}/dated/departure", data={
        "csrf_token": token, "departure-day": "31", "departure-month": "2", "departure-year": str(today.year)})
    assert _summary(unreal.text) == [("#departure-day", "Enter a real date.")]
    assert 'value="31"' in unreal.text  # what was typed is shown again
    future = li.post(f"{path}/dated/departure", data={"csrf_token": token,
                                                      **_date(today + timedelta(days=2), "departure")})
    assert future.status_code == 422
    assert _summary(future.text) == [("#departure-day", "Must not be in the future.")]
    assert 'aria-invalid="true"' in future.text
    assert _record(system, leader)["status"] == "planned"

    gone = li.post(f"{path}/dated/departure", data={"csrf_token": token, **_date(today, "departure")},
                   follow_redirects=True)
    assert gone.status_code == 200 and "Departure confirmed." in gone.text and 'data-status="departed"' in gone.text
    assert _record(system, leader)["departed_on"] == today.isoformat()
    back = li.post(f"{path}/dated/return", data={"csrf_token": token, **_date(today, "return")},
                   follow_redirects=True)
    assert "Return confirmed." in back.text and 'data-status="returned"' in back.text
    assert 'id="report-link"' in back.text and "Trip report" in back.text

    # the report: a draft saved, a short one refused with what it lacks, then photos and the whole text
    report = li.get(f"{path}/report")
    assert report.status_code == 200 and report.text.count("<textarea") == 5
    assert 'data-min-chars="2000"' in report.text and "The schedule actually followed" in report.text
    short = {"csrf_token": token, **{f"section-{s}": "Short." for s in
                                     ("schedule", "results", "contacts", "follow_up", "spending")}}
    saved = li.post(f"{path}/report", data={**short, "action": "save"}, follow_redirects=True)
    assert "Draft saved." in saved.text and ">Short.</textarea>" in saved.text
    refused = li.post(f"{path}/report", data={**short, "action": "hand_in"})
    assert refused.status_code == 422
    links = dict(_summary(refused.text))
    assert links["#section-schedule"].startswith("The report must be at least 2000 characters long; it has ")
    assert links["#file-photo"] == "Upload at least 2 photos; there are 0."
    assert _record(system, leader)["report"]["status"] == "draft"
    # an empty section is named, in the form's order
    empty = li.post(f"{path}/report", data={**short, "section-contacts": "", "action": "hand_in"})
    said = [text for _, text in _summary(empty.text)]
    assert "Contacts made: Write this section." in said
    assert said.index("Contacts made: Write this section.") < said.index("Upload at least 2 photos; there are 0.")

    for n in range(2):
        uploaded = li.post(f"/mobilities/{leader}/files", data={
            "csrf_token": token, "file_type": "photo", "back": "report",
            "file": (io.BytesIO(PNG), f"photo{n}.png")}, content_type="multipart/form-data")
        assert uploaded.status_code == 302 and uploaded.headers["Location"].endswith(f"{path}/report")
    bad = li.post(f"/mobilities/{leader}/files", data={
        "csrf_token": token, "file_type": "photo", "back": "report",
        "file": (io.BytesIO(b"<html>no</html>"), "x.png")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    assert _summary(bad.text) == [
        ("#file-photo", "Only PDF, PNG and JPEG files are accepted (judged by their content).")]
    page = li.get(f"{path}/report").text
    assert "uploaded: 2" in page and page.count("photo0.png") == 1
    photo = re.search(r'href="(/mobilities/[^"]+/files/[^"]+)">photo0.png', page)
    assert photo and li.get(photo.group(1)).data == PNG

    whole = {"csrf_token": token, **{f"section-{s}": LONG for s in
                                     ("schedule", "results", "contacts", "follow_up", "spending")}}
    handed = li.post(f"{path}/report", data={**whole, "action": "hand_in"}, follow_redirects=True)
    assert handed.status_code == 200 and "The report is handed in." in handed.text
    assert _record(system, leader)["report"]["status"] == "submitted"
    read_only = li.get(f"{path}/report").text
    assert "<textarea" not in read_only and "Handed in: with the school" in read_only
    again = li.post(f"{path}/report", data={**whole, "action": "hand_in"})
    assert again.status_code == 409 and "it cannot be changed now" in _summary(again.text)[0][1]


def test_a_member_who_did_not_go_is_ended_after_a_confirmation(system: Embedded,  # noqa: F811
                                                               trip: list[dict[str, Any]]) -> None:
    li = speaking(browser(system, "prof.li"), "en")
    member = trip[1]["id"]
    page = li.get(f"/mobilities/{member}")
    assert f'href="/mobilities/{member}/no-show"' in page.text
    confirm = li.get(f"/mobilities/{member}/no-show")
    assert confirm.status_code == 200 and "They did not go?" in confirm.text
    token = csrf_of(confirm.text)
    assert li.post(f"/mobilities/{member}/no-show", data={"reason": "Visa refused"}).status_code == 400
    empty = li.post(f"/mobilities/{member}/no-show", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422 and _summary(empty.text) == [("#reason", "Say why they did not go.")]
    assert _record(system, member)["status"] == "planned"
    ended = li.post(f"/mobilities/{member}/no-show", data={"csrf_token": token, "reason": "Visa refused"},
                    follow_redirects=True)
    assert 'data-status="no_show"' in ended.text and "Did not go" in ended.text and "Visa refused" in ended.text
    assert li.get(f"/mobilities/{member}/no-show").status_code == 404  # ended: nothing to confirm


def test_a_later_end_date_waits_for_approval(system: Embedded, trip: list[dict[str, Any]]) -> None:  # noqa: F811
    li = speaking(browser(system, "prof.li"), "en")
    member = _record(system, trip[2]["id"])
    path = f"/mobilities/{member['id']}"
    token = csrf_of(li.get(path).text)
    later = date.fromisoformat(member["planned_end"]) + timedelta(days=3)
    no_reason = li.post(f"{path}/end-date", data={"csrf_token": token, **_date(later, "end_date")})
    assert no_reason.status_code == 422 and _summary(no_reason.text) == [("#reason", "Say why the end date changes.")]
    same = li.post(f"{path}/end-date", data={"csrf_token": token, "reason": "Nothing",
                                             **_date(date.fromisoformat(member["planned_end"]), "end_date")})
    assert same.status_code == 422 and _summary(same.text) == [("#end_date-day", "That is the end date already.")]
    sent = li.post(f"{path}/end-date", data={"csrf_token": token, "reason": "The workshop was extended",
                                             **_date(later, "end_date")}, follow_redirects=True)
    assert 'data-extension-status="pending"' in sent.text and "Waiting for approval" in sent.text
    assert _record(system, member["id"])["planned_end"] == member["planned_end"]


def test_the_pages_speak_chinese(system: Embedded, trip: list[dict[str, Any]]) -> None:  # noqa: F811
    zh = speaking(browser(system, "prof.li"), "zh")
    try:
        trips = zh.get("/mobilities").text
        assert "我的出访" in trips and "团长" in trips and "已返回" in trips and "退回修改" not in trips
        leader = zh.get(f"/mobilities/{trip[0]['id']}").text
        assert "领取护照" in leader and "出访报告" in leader
        report = zh.get(f"/mobilities/{trip[0]['id']}/report").text
        assert "实际日程" in report and "已提交" in report
    finally:
        speaking(zh, "en")


def _approved(system: Embedded, kind: str, applicant: str, travellers: list[dict[str, Any]]) -> str:  # noqa: F811
    """An approval of `kind` told to the embedded mobilities service as its consumer would; the record's id."""
    today = _today(system)
    data = approval(kind=kind, applicant=applicant, travellers=travellers, category=None,
                    start=str(today + timedelta(days=20)), end=str(today + timedelta(days=50)))
    event = envelope.new_event("application.approved", "/services/applications", data["application_id"], data,
                               aggregateversion=3)
    with make_sessionmaker(system.engines["mobilities"])() as session, session.begin():
        apply(handlers.HANDLERS, session, event)
        return str(session.scalars(select(Mobility.id).where(
            Mobility.application_id == data["application_id"])).one())


def _one(name: str, role: str) -> list[dict[str, Any]]:
    return [{"name": name, "staff_number": None, "role": role}]


def test_each_kind_is_followed_in_its_own_words(system: Embedded) -> None:  # noqa: F811
    today = _today(system)
    # a foreign expert: entry into China, then the residence permit due within 30 days
    li = speaking(browser(system, "prof.li"), "en")
    expert = _approved(system, "foreign_expert", "prof.li", _one("Anna Berg", "expert"))
    page = li.get(f"/mobilities/{expert}").text
    assert "Expected" in page and "When did they enter China?" in page and 'id="checklist"' not in page
    token = csrf_of(page)
    entered = li.post(f"/mobilities/{expert}/dated/departure", data={"csrf_token": token, **_date(today, "departure")},
                      follow_redirects=True)
    assert "Entry into China confirmed." in entered.text and "Entered China" in entered.text
    permit_due = (today + timedelta(days=30)).isoformat()
    assert f'datetime="{permit_due}"' in entered.text and "Residence permit due" in entered.text
    assert "When did they leave China?" in entered.text and 'id="form-work_permit"' in entered.text
    permit = li.post(f"/mobilities/{expert}/dated/residence_permit",
                     data={"csrf_token": token, **_date(today, "residence_permit")}, follow_redirects=True)
    assert "Residence permit recorded." in permit.text and 'data-step="residence_permit"' in permit.text

    # a hosted event: held, then its summary with the attendee list
    event = _approved(system, "hosted_event", "prof.li", _one("Summer forum", "event"))
    page = li.get(f"/mobilities/{event}").text
    assert "To be held" in page and "When was the event held?" in page and 'id="end-date"' not in page
    held = li.post(f"/mobilities/{event}/dated/held", data={"csrf_token": token, **_date(today, "held")},
                   follow_redirects=True)
    assert "The event is recorded as held." in held.text and 'data-status="returned"' in held.text
    assert "Held" in held.text and "Event summary" in held.text
    summary = li.get(f"/mobilities/{event}/report").text
    assert summary.count("<textarea") == 3 and "data-attendee-list" in summary and 'id="file-attendee_list"' in summary

    # a student: the checklist of three, the host's arrival confirmation before the arrival, the transcript
    alice = speaking(browser(system, "alice"), "en")
    student = _approved(system, "student_exchange", "alice", _one("Alice Wang", "student"))
    page = alice.get(f"/mobilities/{student}").text
    assert "Pre-departure safety briefing (平安留学) attended" in page and page.count("Mark as done") == 3
    token = csrf_of(page)
    for item in ("insurance", "visa", "safety_briefing"):
        assert alice.post(f"/mobilities/{student}/checklist/{item}", data={"csrf_token": token}).status_code == 302
    assert alice.post(f"/mobilities/{student}/dated/departure",
                      data={"csrf_token": token, **_date(today, "departure")}).status_code == 302
    early = alice.post(f"/mobilities/{student}/dated/arrival", data={"csrf_token": token, **_date(today, "arrival")})
    assert early.status_code == 409
    assert _summary(early.text) == [("#arrival-day", "Upload the host's arrival confirmation first.")]
    assert 'id="file-arrival_confirmation"' in early.text
    sent = alice.post(f"/mobilities/{student}/files", data={
        "csrf_token": token, "file_type": "arrival_confirmation",
        "file": (io.BytesIO(PNG), "arrival.png")}, content_type="multipart/form-data", follow_redirects=True)
    assert "Host's arrival confirmation uploaded." in html.unescape(sent.text)
    arrived = alice.post(f"/mobilities/{student}/dated/arrival", data={"csrf_token": token, **_date(today, "arrival")},
                         follow_redirects=True)
    assert "Arrival confirmed." in arrived.text and 'id="recognitions"' in arrived.text

    # the summary not written 61 days after the event is overdue, and "My trips" says so
    with time_machine.travel(datetime.now(UTC) + timedelta(days=70), tick=True):
        later = browser(system, "prof.li").get("/mobilities").text
    row = later.split(f'data-mobility="{event}"')[1].split("</tr>")[0]
    assert "Event summary due" in row and "data-overdue" in row

    zh = speaking(browser(system, "prof.li"), "zh")
    try:
        assert "已入境" in zh.get(f"/mobilities/{expert}").text and "已举办" in zh.get(f"/mobilities/{event}").text
    finally:
        speaking(zh, "en")
