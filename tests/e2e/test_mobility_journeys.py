"""Every kind's journey after approval, in both topologies, through the gateway with every worker running (issue 18,
"Must show"): an application is filed and approved by its chain, the mobilities service makes its records from the
approval, and the traveller, the school and the ICD take them to their end. The deadline sweep is run on the
mobilities database with the clock as an argument, as the worker runs it with now.

Departures and returns are dated today: the API takes no date in the future, and the applications' dates are
ahead (their lead time); what falls due after the return is reached by moving the sweep's clock.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.e2e.test_review_chains import _decide
from tests.e2e.test_staff_trip import CHAIN, _in_round
from tests.e2e.test_statistics import _page_session
from tests.support import group_trip, wait
from tests.support.api import Gateway
from tests.support.journeys import (
    LONG,
    accept_report,
    act,
    approve,
    get,
    later,
    outbox,
    records,
    sweep,
    sweep_until,
    today,
    travel,
    upload,
    write_report,
)

STAFF_CHAIN = ["coord.cs", "icd.officer"]  # CHAIN: the school's coordinator, then the office (marked for changes)
TRIP_REPORT = {name: LONG for name in ("schedule", "results", "contacts", "follow_up", "spending")}  # 2,490 chars
SUMMARY = {name: LONG * 2 + "." * 100 for name in ("programme", "results", "follow_up")}  # 3,288 chars


@pytest.fixture(scope="module")
def gw(gateway: Gateway) -> Gateway:
    """The gateway, with the staff trips' chain set once: the coordinator, then the office, who alone re-approves
    a change (an extension)."""
    put = gateway.call("admin", "PUT", "/api/v1/review-chains/faculty_exchange", {"levels": CHAIN})
    assert put.status_code in (200, 201), put.text
    return gateway


@pytest.fixture(scope="module")
def mobilities_db(databases: dict[str, Engine]) -> Engine:
    return databases["mobilities"]


def test_a_group_of_three_goes_reports_is_published_and_closes(gw: Gateway, mobilities_db: Engine) -> None:
    application = approve(gw, "prof.li", STAFF_CHAIN, group_trip.body())
    group = records(gw, "prof.li", application["id"], 3)
    assert [(r["person"]["name"], r["person"]["staff_number"], r["person"]["role"], r["status"]) for r in group] == [
        ("李伟", "T20081", "leader", "planned"), ("王芳", "T20112", "member", "planned"),
        ("陈晨", "T20307", "member", "planned")]
    assert {r["group_id"] for r in group} == {application["id"]}
    assert {(r["kind"], r["category"], r["school"], r["owner"]) for r in group} == {
        ("faculty_exchange", "general", "cs", "prof.li")}
    form = application["form"]
    assert {(r["planned_start"], r["planned_end"]) for r in group} == {(form["start_date"], form["end_date"])}

    day = today()
    early = act(gw, "prof.li", group[0]["id"], "/departure", {"date": day.isoformat()}, status=409)
    assert "passport_collected" in early["detail"]  # the checklist comes first
    for record in group:
        back = travel(gw, "prof.li", record, day)
        assert (back["status"], back["departed_on"], back["returned_on"]) == ("returned", str(day), str(day))
        assert back["report"]["status"] == "draft" and back["report"]["due_on"] == str(later(day, 15))
    for record in group:
        handed_in = write_report(gw, "prof.li", record, TRIP_REPORT)
        assert handed_in["report"]["status"] == "submitted"
    queue = gw.call("coord.cs", "GET", "/api/v1/mobilities/reports?stage=school").json()["items"]
    assert {item["mobility"]["id"] for item in queue} >= {r["id"] for r in group}
    for record in group:
        done = accept_report(gw, "coord.cs", record)
        assert done["status"] == "reported" and done["report"]["status"] == "accepted"
        assert done["report"]["published_until"] == str(later(day, 15))

    published = gw.call("alice", "GET", "/api/v1/mobilities/published")
    assert published.status_code == 200, published.text
    shown = {p["mobility_id"]: p for p in published.json()["items"]}
    assert set(shown) >= {r["id"] for r in group}
    assert shown[group[1]["id"]]["person"] == {"name": "王芳", "staff_number": None, "role": "member"}
    assert shown[group[1]["id"]]["sections"] == TRIP_REPORT

    assert sweep(mobilities_db, later(day, 15))["closed"] == 0  # still published on its last day
    sweep_until(mobilities_db, later(day, 16), lambda: [get(gw, "prof.li", r["id"])["status"] for r in group] == [
        "closed"] * 3, what="the group's records closed after their publication")
    assert all(len(outbox(mobilities_db, "mobility.closed", r["id"])) == 1 for r in group)


def test_a_student_arrives_comes_back_with_a_transcript_and_has_credits_recognised(gw: Gateway) -> None:
    application = approve(gw, "alice", ["coord.cs", "dean.cs", "icd.officer"], kind="student_exchange")
    (record,) = records(gw, "alice", application["id"], 1)
    assert record["person"]["role"] == "student" and record["checklist"] == [
        {"item": item, "done": False, "done_on": None, "by": None}
        for item in ("insurance", "visa", "safety_briefing")]
    day = today()
    for item in ("insurance", "visa", "safety_briefing"):
        act(gw, "alice", record["id"], f"/checklist/{item}", {"done": True})
    act(gw, "alice", record["id"], "/departure", {"date": str(day)})
    refused = act(gw, "alice", record["id"], "/arrival", {"date": str(day)}, status=409)
    assert "arrival_confirmation" in refused["detail"]
    upload(gw, "alice", record["id"], "arrival_confirmation")
    assert act(gw, "alice", record["id"], "/arrival", {"date": str(day)})["arrived_on"] == str(day)
    assert act(gw, "alice", record["id"], "/return", {"date": str(day)})["status"] == "returned"

    early = act(gw, "coord.cs", record["id"], "/recognitions", {
        "host_course": "Distributed Systems", "credits": 6, "grade": "1.3", "home_course": "Distributed Computing",
        "recognised_credits": 4}, status=409)
    assert "transcript" in early["detail"]
    assert upload(gw, "alice", record["id"], "transcript")["status"] == "reported"
    recognised = gw.call("coord.cs", "POST", f"/api/v1/mobilities/{record['id']}/recognitions", {
        "host_course": "Distributed Systems", "credits": 6, "grade": "1.3", "home_course": "Distributed Computing",
        "recognised_credits": 4})
    assert recognised.status_code == 201, recognised.text
    closed = recognised.json()
    assert closed["status"] == "closed"
    assert [(r["host_course"], r["home_course"], r["recognised_credits"]) for r in closed["recognitions"]] == [
        ("Distributed Systems", "Distributed Computing", 4)]
    assert {f["file_type"] for f in closed["files"]} == {"arrival_confirmation", "transcript"}


def test_an_experts_entry_brings_the_residence_permit_reminder(gw: Gateway, mobilities_db: Engine) -> None:
    application = approve(gw, "prof.li", ["dean.cs", "icd.officer", "vp.fa"], kind="foreign_expert")
    (record,) = records(gw, "prof.li", application["id"], 1)
    assert record["person"]["role"] == "expert" and record["checklist"] == []
    entry = today()
    entered = act(gw, "prof.li", record["id"], "/departure", {"date": str(entry)})
    assert (entered["status"], entered["arrived_on"]) == ("departed", str(entry))
    assert entered["due"] == [{"what": "residence_permit", "due_on": str(later(entry, 30)), "overdue": False}]

    sweep(mobilities_db, later(entry, 26))
    assert outbox(mobilities_db, "mobility.due_soon", record["id"]) == []  # not yet: 3 days before
    (reminder,) = sweep_until(mobilities_db, later(entry, 28), lambda: outbox(
        mobilities_db, "mobility.due_soon", record["id"]), what="the residence permit's reminder")
    assert reminder["due"] == {"what": "residence_permit", "due_on": str(later(entry, 30))}
    sweep(mobilities_db, later(entry, 29))
    assert len(outbox(mobilities_db, "mobility.due_soon", record["id"])) == 1  # once

    def told() -> list[dict[str, Any]]:
        items = gw.call("prof.li", "GET", "/api/v1/notifications").json()["items"]
        return [n for n in items if n["event_type"] == "mobility.due_soon"]
    wait.until(told, what="the applicant told the residence permit is due")

    act(gw, "prof.li", record["id"], "/steps/work_permit", {"date": str(entry)})
    permitted = act(gw, "prof.li", record["id"], "/steps/residence_permit", {"date": str(entry)})
    assert permitted["steps"] == {"work_permit": str(entry), "residence_permit": str(entry)}
    assert permitted["due"] == []
    left = act(gw, "prof.li", record["id"], "/return", {"date": str(entry)})  # the expert left China
    assert (left["returned_on"], left["report"], left["due"]) == (str(entry), None, [])  # owes no report


def test_a_hosted_events_summary_is_accepted(gw: Gateway) -> None:
    application = approve(gw, "coord.cs", ["dean.cs", "icd.officer"], kind="hosted_event")
    (record,) = records(gw, "coord.cs", application["id"], 1)
    assert record["person"]["role"] == "event"
    day = today()
    held = act(gw, "coord.cs", record["id"], "/steps/held", {"date": str(day)})
    assert held["status"] == "returned" and held["steps"]["held"] == str(day)
    assert held["report"]["due_on"] == str(later(day, 61))
    assert held["report"]["required"]["min_chars"] == 3000 and held["report"]["required"]["attendee_list"]

    gw.call("coord.cs", "PUT", f"/api/v1/mobilities/{record['id']}/report", {"sections": SUMMARY})
    upload(gw, "coord.cs", record["id"], "photo")
    upload(gw, "coord.cs", record["id"], "photo")
    missing = act(gw, "coord.cs", record["id"], "/report/submit", status=422)
    assert "attendee_list" in missing["errors"]
    upload(gw, "coord.cs", record["id"], "attendee_list")
    assert act(gw, "coord.cs", record["id"], "/report/submit")["report"]["status"] == "submitted"
    # The coordinator filed it: the school's dean reviews it, then the office.
    act(gw, "coord.cs", record["id"], "/report/decision", {"outcome": "accept", "comment": "Mine."}, status=403)
    done = accept_report(gw, "dean.cs", record)
    assert done["status"] == "reported" and done["report"]["status"] == "accepted"


def _csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def _holds(applications_db: Engine, username: str) -> int:
    """Holds standing on `username` in the applications service's copy (mobility.hold_placed/cleared)."""
    with applications_db.connect() as c:
        return int(c.scalar(text("SELECT count(*) FROM holds WHERE username = :u AND cleared_at IS NULL"),
                            {"u": username}))


def test_an_overdue_report_holds_the_next_submission_until_accepted(
        gw: Gateway, mobilities_db: Engine, databases: dict[str, Engine]) -> None:
    application = approve(gw, "prof.li", STAFF_CHAIN)
    (record,) = records(gw, "prof.li", application["id"], 1)
    day = today()
    travel(gw, "prof.li", record, day)
    due = later(day, 15)
    assert sweep(mobilities_db, due)["holds"] == 0  # due today: not overdue yet
    overdue = sweep_until(mobilities_db, later(due, 1), lambda: (shown := get(gw, "prof.li", record["id"]))[
        "holds"] and shown, what="the overdue report's hold")
    assert overdue["holds"] == [{"what": "report", "scope": "person", "due_on": str(due)}]
    wait.until(lambda: _holds(databases["applications"], "prof.li") == 1, what="the hold in applications")

    draft = gw.apply("prof.li", "faculty_exchange")
    gw.upload_required("prof.li", draft)
    held = gw.submit("prof.li", draft["id"])
    assert held.status_code == 409, held.text
    assert held.headers["Content-Type"].startswith("application/problem+json")
    problem = held.json()
    assert problem["type"].endswith("/problems/on-hold") and problem["title"] == "On hold"
    assert "the trip report is overdue" in problem["detail"] and "the report is accepted" in problem["detail"]
    assert record["title"] in problem["detail"] and str(due) in problem["detail"]
    assert [(h["reason"], h["due_on"], h["clears"]) for h in problem["holds"]] == [
        ("report_overdue", str(due), "report_accepted")]
    # The page says the same: the check-answers page answers 409 with the hold in words, and submits nothing.
    web = _page_session(gw, "prof.li", "en")
    check = web.get(f"{gw.base_url}/applications/{draft['id']}/submit")
    version = gw.call("prof.li", "GET", f"/api/v1/applications/{draft['id']}").json()["version"]
    page = web.post(f"{gw.base_url}/applications/{draft['id']}/submit", data={
        "csrf_token": _csrf_of(check.text), "version": str(version), "declaration_asked": "1", "declaration": "y"})
    assert page.status_code == 409
    summary = page.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "You are on hold" in summary and "the trip report is overdue" in summary and record["title"] in summary
    assert gw.call("prof.li", "GET", f"/api/v1/applications/{draft['id']}").json()["status"] == "draft"

    write_report(gw, "prof.li", record, TRIP_REPORT)
    accepted = accept_report(gw, "coord.cs", record)
    assert accepted["holds"] == [] and accepted["status"] == "reported"
    wait.until(lambda: _holds(databases["applications"], "prof.li") == 0, what="the hold cleared in applications")
    submitted = gw.submit("prof.li", draft["id"])
    assert submitted.status_code == 200, submitted.text


def test_an_extension_beyond_the_approved_dates_goes_through_the_change_round(gw: Gateway) -> None:
    application = approve(gw, "prof.li", STAFF_CHAIN)  # the shorthand trip: no category, so no days limit
    (record,) = records(gw, "prof.li", application["id"], 1)
    approved_end = application["form"]["end_date"]
    end = later(date.fromisoformat(approved_end), 2)
    asked = act(gw, "prof.li", record["id"], "/dates", {"end_date": str(end), "reason": "The workshop is extended."})
    assert asked["planned_end"] == approved_end and asked["extension"]["status"] == "pending"
    # The change round: the level marked for changes (the office) alone re-approves it.
    _decide(gw, "icd.officer", _in_round(gw, "icd.officer", application["id"], 2))

    def extended() -> dict[str, Any] | bool:
        shown = get(gw, "prof.li", record["id"])
        return shown["extension"]["status"] == "approved" and shown
    after = wait.until(extended, what="the extension approved")
    assert (after["planned_end"], after["status"]) == (str(end), "planned")
    changed = gw.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json()
    assert changed["form"]["end_date"] == str(end) and changed["status"] == "approved"
    changes = gw.call("prof.li", "GET", f"/api/v1/applications/{application['id']}/change-requests").json()
    assert [(c["status"], c["reason"]) for c in changes["items"]] == [("approved", "The workshop is extended.")]


def test_a_no_show_ends_a_record_and_an_extension_the_rules_forbid_is_refused(gw: Gateway) -> None:
    application = approve(gw, "prof.li", STAFF_CHAIN, group_trip.body())
    leader, member, _ = records(gw, "prof.li", application["id"], 3)
    gone = act(gw, "prof.li", member["id"], "/no-show", {"reason": "Visa refused."})
    assert (gone["status"], gone["ended_reason"]) == ("no_show", "Visa refused.")
    assert "no_show" in act(gw, "prof.li", member["id"], "/departure", {"date": str(today())}, status=409)["detail"]

    # Eight days to two countries is the general category's most: two more are refused at once, with the rule.
    approved_end = application["form"]["end_date"]
    end = later(date.fromisoformat(approved_end), 2)
    act(gw, "prof.li", leader["id"], "/dates", {"end_date": str(end), "reason": "The workshop is extended."})

    def refused() -> dict[str, Any] | bool:
        shown = get(gw, "prof.li", leader["id"])
        return shown["extension"]["status"] == "refused" and shown
    after = wait.until(refused, what="the extension refused")
    assert "days abroad" in after["extension"]["comment"] and after["planned_end"] == approved_end
    assert gw.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json()["form"]["end_date"] == (
        approved_end)
