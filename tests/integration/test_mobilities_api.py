"""The mobilities service on PostgreSQL: records from an approval (one per member of a group), the lifecycle per
kind, the trip report through the school and the ICD to publication and closing, reminders, overdue notices and
holds with the clock as an argument, a no-show, changes of dates, and bad input refused without a change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.support.mobilities import Mobilities, approval
from tests.support.service import start_service

LONG = "Visited the partner laboratory and agreed a joint project on distributed systems. " * 6  # ~500 chars


@pytest.fixture
def mob(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Mobilities]:
    service = start_service("mobilities", tmp_path, pg_urls["mobilities"])
    yield Mobilities(service)
    service.engine.dispose()


def report_of(mob: Mobilities, record: dict[str, Any]) -> None:
    sections = {name: LONG for name in ("schedule", "results", "contacts", "follow_up", "spending")}
    assert mob.call("prof.li", "PUT", f"/{record['id']}/report", json={"sections": sections}).status_code == 200
    for _ in range(2):
        assert mob.upload("prof.li", record["id"], "photo").status_code == 201


def travel(mob: Mobilities, record: dict[str, Any]) -> None:
    assert mob.post("prof.li", record["id"], "/checklist/passport_collected", {"done": True}).status_code == 200
    assert mob.post("prof.li", record["id"], "/departure", {"date": "2027-03-10"}).status_code == 200
    assert mob.post("prof.li", record["id"], "/return", {"date": "2027-03-14"}).status_code == 200


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_a_group_is_followed_from_approval_to_its_closed_records(mob: Mobilities) -> None:
    records = mob.approve()
    assert [(r["person"]["name"], r["person"]["role"], r["status"]) for r in records] == [
        ("Li Wei", "leader", "planned"), ("Zhao Min", "member", "planned"), ("Sun Hao", "member", "planned")]
    assert len({r["group_id"] for r in records}) == 1
    assert len(mob.events("mobility.planned")) == 3
    # the same approval delivered twice (another event id) creates nothing more
    mob.deliver("application.approved", approval(application_id=records[0]["application_id"]))
    assert mob.count("SELECT count(*) FROM mobilities") == 3

    first = records[0]
    refused = mob.post("prof.li", first["id"], "/departure", {"date": "2027-03-10"})
    assert refused.status_code == 409 and "passport_collected" in refused.json["detail"]
    for record in records:
        travel(mob, record)
    shown = mob.get("prof.li", first["id"]).json
    assert shown["status"] == "returned" and shown["report"]["due_on"] == "2027-03-29"
    assert shown["report"]["required"]["min_chars"] == 2000

    short = mob.post("prof.li", first["id"], "/report/submit")
    assert short.status_code == 422 and {"sections", "photos", "schedule"} <= set(short.json["errors"])
    report_of(mob, first)
    assert mob.post("prof.li", first["id"], "/report/submit").status_code == 200
    # the ICD cannot skip the school; the applicant cannot review their own
    assert mob.post("icd.officer", first["id"], "/report/decision", {"outcome": "accept"}).status_code == 403
    assert mob.post("coord.me", first["id"], "/report/decision", {"outcome": "accept"}).status_code == 404
    back = mob.post("coord.cs", first["id"], "/report/decision", {"outcome": "return"})
    assert back.status_code == 422 and "comment" in back.json["errors"]
    assert mob.post("coord.cs", first["id"], "/report/decision",
                    {"outcome": "return", "comment": "Name the contacts."}).status_code == 200
    assert mob.get("prof.li", first["id"]).json["report"]["status"] == "returned"
    assert mob.post("prof.li", first["id"], "/report/submit").status_code == 200
    queue = mob.call("coord.cs", "GET", "/reports").json["items"]
    assert [(item["mobility"]["id"], item["stage"]) for item in queue] == [(first["id"], "school")]
    assert mob.post("coord.cs", first["id"], "/report/decision", {"outcome": "accept"}).status_code == 200
    assert mob.call("coord.cs", "GET", "/reports").json["items"] == []
    assert [i["stage"] for i in mob.call("icd.officer", "GET", "/reports").json["items"]] == ["icd"]
    done = mob.post("icd.officer", first["id"], "/report/decision", {"outcome": "accept"})
    assert done.status_code == 200 and done.json["status"] == "reported"
    assert done.json["report"]["published_until"] == "2027-04-04"
    published = mob.call("alice", "GET", "/published").json["items"]
    assert [p["mobility_id"] for p in published] == [first["id"]] and published[0]["person"]["staff_number"] is None
    reported = mob.events("mobility.reported")
    assert reported[-1]["report"]["on_time"] is True

    assert mob.sweep("2027-04-04T03:00:00+00:00")["closed"] == 0  # still published that day
    assert mob.sweep("2027-04-05T03:00:00+00:00")["closed"] == 1
    assert mob.get("prof.li", first["id"]).json["status"] == "closed"
    assert len(mob.events("mobility.closed")) == 1


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_an_overdue_report_reminds_then_holds_the_person_and_acceptance_clears_it(mob: Mobilities) -> None:
    record = mob.approve(travellers=[{"name": "Li Wei", "staff_number": "19990012", "role": "leader"}])[0]
    travel(mob, record)
    assert mob.sweep("2027-03-25T03:00:00+00:00") == {"due_soon": 0, "overdue": 0, "holds": 0, "closed": 0}
    assert mob.sweep("2027-03-26T03:00:00+00:00")["due_soon"] == 1
    assert mob.sweep("2027-03-27T03:00:00+00:00")["due_soon"] == 0  # once
    assert mob.sweep("2027-03-30T03:00:00+00:00") == {"due_soon": 0, "overdue": 1, "holds": 1, "closed": 0}
    assert mob.sweep("2027-03-31T03:00:00+00:00")["overdue"] == 0  # once
    placed = mob.events("mobility.hold_placed")
    assert [(h["scope"], h["username"], h["staff_number"], h["reason"]) for h in placed] == [
        ("person", "prof.li", "19990012", "report_overdue")]
    with time_machine.travel("2027-03-30T03:00:00Z", tick=False):
        overdue = mob.call("coord.cs", "GET", "/overdue").json["items"]
        assert [(i["mobility"]["id"], i["what"], i["days_overdue"]) for i in overdue] == [(record["id"], "report", 1)]
        assert mob.call("coord.me", "GET", "/overdue").json["items"] == []
    assert mob.call("alice", "GET", "/overdue").status_code == 403

    # the office switches school holds on: the next sweep holds the school too; off clears it
    assert mob.call("coord.cs", "PUT", "/school-holds/cs", json={"on": True}).status_code == 403
    assert mob.call("icd.officer", "PUT", "/school-holds/cs", json={"on": True}).json == {"school": "cs", "on": True}
    assert mob.sweep("2027-03-31T03:00:00+00:00")["holds"] == 1
    assert mob.call("icd.officer", "PUT", "/school-holds/cs", json={"on": False}).status_code == 200
    assert [h["scope"] for h in mob.events("mobility.hold_cleared")] == ["school"]

    report_of(mob, record)
    assert mob.post("prof.li", record["id"], "/report/submit").status_code == 200
    mob.post("coord.cs", record["id"], "/report/decision", {"outcome": "accept"})
    mob.post("icd.officer", record["id"], "/report/decision", {"outcome": "accept"})
    assert [h["scope"] for h in mob.events("mobility.hold_cleared")] == ["school", "person"]
    assert mob.events("mobility.reported")[-1]["report"]["on_time"] is True  # submitted 20 March, due 29 March


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_a_no_show_ends_the_record_and_changes_of_dates_go_their_ways(mob: Mobilities) -> None:
    leader, member, _ = mob.approve(start="2027-04-01", end="2027-04-10")
    assert mob.post("prof.li", member["id"], "/no-show", {"reason": ""}).status_code == 422
    gone = mob.post("prof.li", member["id"], "/no-show", {"reason": "Visa refused"})
    assert gone.status_code == 200 and gone.json["status"] == "no_show"
    assert mob.post("prof.li", member["id"], "/departure", {"date": "2027-03-20"}).status_code == 409

    shorter = mob.post("prof.li", leader["id"], "/dates", {"end_date": "2027-04-08", "reason": "Host closes"})
    assert shorter.status_code == 200 and shorter.json["planned_end"] == "2027-04-08"
    assert mob.events("mobility.changed")[-1]["change"]["change"] == "shortened"
    longer = mob.post("prof.li", leader["id"], "/dates", {"end_date": "2027-04-15", "reason": "Workshop extended"})
    assert longer.status_code == 200 and longer.json["planned_end"] == "2027-04-08"
    assert longer.json["extension"]["status"] == "pending"
    asked = mob.events("mobility.extension_requested")
    assert asked[-1]["extension"]["end_date"] == "2027-04-15"
    again = mob.post("prof.li", leader["id"], "/dates", {"end_date": "2027-04-16", "reason": "More"})
    assert again.status_code == 409

    # the chain approved it: applications announces the change naming the extension
    change = {"id": "c1", "number": 1, "reason": "Workshop extended", "extension_id": asked[-1]["extension"]["id"]}
    changed = {**_approved(leader), "version": 2, "decided_by": "icd.officer", "change": change}
    changed["mobility"] = {**changed["mobility"], "end_date": "2027-04-15"}
    mob.deliver("application.changed", changed, revision=9)
    after = mob.get("prof.li", leader["id"]).json
    assert after["planned_end"] == "2027-04-15" and after["extension"]["status"] == "approved"
    assert mob.get("prof.li", member["id"]).json["planned_end"] == "2027-04-10"  # a no-show's record stays ended
    assert [(e["person"]["name"], e["change"]) for e in mob.events("mobility.changed")[1:]] == [
        ("Li Wei", {"change": "extended", "previous_end": "2027-04-08", "reason": "Workshop extended"}),
        ("Sun Hao", {"change": "extended", "previous_end": "2027-04-10", "reason": "Workshop extended"})]
    mob.deliver("application.changed", changed, revision=8)  # older news: nothing moves
    assert len(mob.events("mobility.changed")) == 3  # the shortening, and the extension for leader and member 3


def _approved(record: dict[str, Any]) -> dict[str, Any]:
    return approval(application_id=record["application_id"], start="2027-04-01", end="2027-04-10")


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_bad_input_is_refused_and_changes_nothing(mob: Mobilities) -> None:
    record = mob.approve(travellers=[{"name": "Li Wei", "staff_number": None, "role": "leader"}])[0]
    before = mob.get("prof.li", record["id"]).json
    assert mob.post("prof.li", record["id"], "/departure", {"date": "tomorrow"}).status_code == 422
    assert mob.post("prof.li", record["id"], "/departure", {"date": "2027-03-10", "x": 1}).status_code == 422
    assert mob.post("prof.li", record["id"], "/checklist/visa", {"done": True}).status_code == 422
    future = mob.post("prof.li", record["id"], "/checklist/passport_collected", {"done": True})
    assert future.status_code == 200
    assert mob.post("prof.li", record["id"], "/departure", {"date": "2027-03-21"}).status_code == 422
    assert mob.upload("prof.li", record["id"], "photo", b"<html>not a photo</html>", "x.png").status_code == 409
    assert mob.post("prof.li", record["id"], "/steps/held", {"date": "2027-03-10"}).status_code == 422
    after = mob.get("prof.li", record["id"]).json
    assert (after["status"], after["departed_on"]) == (before["status"], before["departed_on"]) == ("planned", None)
    assert mob.call("prof.li", "GET", "/00000000-0000-0000-0000-000000000000").status_code == 404


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_a_report_handed_in_on_time_is_not_overdue_while_its_reviewers_take_their_time(mob: Mobilities) -> None:
    record = mob.approve(travellers=[{"name": "Li Wei", "staff_number": "19990012", "role": "leader"}])[0]
    travel(mob, record)
    report_of(mob, record)
    assert mob.post("prof.li", record["id"], "/report/submit").status_code == 200
    assert mob.sweep("2027-04-10T03:00:00+00:00") == {"due_soon": 0, "overdue": 0, "holds": 0, "closed": 0}
    assert mob.get("prof.li", record["id"]).json["due"] == []
    # returned after its due date, it is the traveller's again, and late
    mob.post("coord.cs", record["id"], "/report/decision", {"outcome": "return", "comment": "Add the contacts."})
    assert mob.sweep("2027-04-11T03:00:00+00:00")["holds"] == 1


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_an_expert_is_reminded_of_the_residence_permit_and_closes_on_leaving(mob: Mobilities) -> None:
    expert = mob.approve(kind="foreign_expert", category=None, start="2027-02-01", end="2027-06-30",
                         travellers=[{"name": "Anna Schmidt", "staff_number": None, "role": "expert"}])[0]
    assert expert["journey"]["inbound"] is True and expert["checklist"] == []
    entered = mob.post("prof.li", expert["id"], "/departure", {"date": "2027-03-01"})
    assert entered.json["arrived_on"] == "2027-03-01"  # entering China is arriving
    assert entered.json["due"] == [{"what": "residence_permit", "due_on": "2027-03-31", "overdue": False}]
    assert mob.sweep("2027-03-28T03:00:00+00:00")["due_soon"] == 1
    assert mob.sweep("2027-04-01T03:00:00+00:00") == {"due_soon": 0, "overdue": 1, "holds": 1, "closed": 0}
    assert mob.events("mobility.hold_placed")[-1]["reason"] == "residence_permit_overdue"
    with time_machine.travel("2027-04-02T03:00:00Z", tick=False):
        mob.post("icd.officer", expert["id"], "/steps/residence_permit", {"date": "2027-04-02"})
        assert mob.events("mobility.hold_cleared")[-1]["reason"] == "residence_permit_overdue"
        left = mob.post("prof.li", expert["id"], "/return", {"date": "2027-04-02"})
    assert left.json["status"] == "closed" and left.json["due"] == []
    # another expert leaves before the permit was recorded: the record closes and its hold ends with it
    other = mob.approve(kind="foreign_expert", category=None, start="2027-02-01", end="2027-06-30",
                        travellers=[{"name": "Jan Novak", "staff_number": None, "role": "expert"}])[0]
    mob.post("prof.li", other["id"], "/departure", {"date": "2027-02-01"})
    assert mob.sweep("2027-03-05T03:00:00+00:00")["holds"] == 1
    with time_machine.travel("2027-04-02T03:00:00Z", tick=False):
        assert mob.post("prof.li", other["id"], "/return", {"date": "2027-04-01"}).json["holds"] == []
    assert mob.count("SELECT count(*) FROM holds WHERE cleared_at IS NULL") == 0


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_school_holds_switched_off_and_on_again_hold_the_school_again(mob: Mobilities) -> None:
    record = mob.approve(travellers=[{"name": "Li Wei", "staff_number": None, "role": "leader"}])[0]
    travel(mob, record)
    mob.call("icd.officer", "PUT", "/school-holds/cs", json={"on": True})
    assert mob.sweep("2027-03-30T03:00:00+00:00")["holds"] == 2  # the person and the school
    mob.call("icd.officer", "PUT", "/school-holds/cs", json={"on": False})
    mob.call("icd.officer", "PUT", "/school-holds/cs", json={"on": True})
    assert mob.sweep("2027-03-31T03:00:00+00:00")["holds"] == 1  # the school again, under a new hold
    placed = mob.events("mobility.hold_placed")
    assert [h["scope"] for h in placed] == ["person", "school", "school"]
    assert placed[1]["hold_id"] != placed[2]["hold_id"]
    # a hold placed by a sweep that read "on" just before the switch went off is cleared by the next sweep
    mob.call("icd.officer", "PUT", "/school-holds/cs", json={"on": False})
    assert mob.count("SELECT count(*) FROM holds WHERE scope = 'school' AND cleared_at IS NULL") == 0
    with mob.sessions() as session, session.begin():
        from services.mobilities import holds
        from services.mobilities.models import Mobility, SchoolHold
        session.get(SchoolHold, "cs").on = True
        holds.place(session, session.get(Mobility, record["id"]), "report", date(2027, 3, 29), datetime.now(UTC))
        session.get(SchoolHold, "cs").on = False
    mob.sweep("2027-04-01T03:00:00+00:00")
    assert mob.count("SELECT count(*) FROM holds WHERE scope = 'school' AND cleared_at IS NULL") == 0


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_a_report_returned_late_gets_time_to_be_corrected_and_counts_as_handed_in_on_time(mob: Mobilities) -> None:
    record = mob.approve(travellers=[{"name": "Li Wei", "staff_number": None, "role": "leader"}])[0]
    travel(mob, record)
    report_of(mob, record)
    mob.post("prof.li", record["id"], "/report/submit")  # 20 March, due 29 March
    with time_machine.travel("2027-04-05T03:00:00Z", tick=False):
        mob.post("coord.cs", record["id"], "/report/decision", {"outcome": "return", "comment": "Add the contacts."})
        assert mob.get("prof.li", record["id"]).json["due"] == [
            {"what": "report", "due_on": "2027-04-12", "overdue": False}]
    assert mob.sweep("2027-04-06T03:00:00+00:00") == {"due_soon": 0, "overdue": 0, "holds": 0, "closed": 0}
    assert mob.sweep("2027-04-13T03:00:00+00:00")["holds"] == 1  # past its own date to be corrected by
    with time_machine.travel("2027-04-14T03:00:00Z", tick=False):
        mob.post("prof.li", record["id"], "/report/submit")
        mob.post("coord.cs", record["id"], "/report/decision", {"outcome": "accept"})
        mob.post("icd.officer", record["id"], "/report/decision", {"outcome": "accept"})
    assert mob.events("mobility.reported")[-1]["report"]["on_time"] is True  # first handed in on 20 March


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_news_out_of_order_leaves_the_records_as_the_application_is(mob: Mobilities) -> None:
    # the cancellation overtakes the approval: cancelled records, and the late approval makes none
    data = approval(start="2027-04-01", end="2027-04-10")
    mob.deliver("application.cancelled", {**data, "status": "cancelled", "reason": "Funding withdrawn",
                                          "cancelled_by": "prof.li", "cancelled_at": "2027-03-19T00:00:00+00:00",
                                          "approval_number": None}, revision=9)
    mob.deliver("application.approved", data, revision=7)
    assert [r["status"] for r in mob.records("prof.li", data["application_id"])] == ["cancelled"] * 3
    # a traveller's own shortening stands when the application changes something else
    leader = mob.approve(start="2027-04-01", end="2027-04-10")[0]
    mob.post("prof.li", leader["id"], "/dates", {"end_date": "2027-04-08", "reason": "Host closes early"})
    other = {**_approved(leader), "version": 2, "decided_by": "icd.officer", "title": "Renamed",
             "change": {"id": "c2", "number": 1, "reason": "New title"}}
    mob.deliver("application.changed", other, revision=9)
    after = mob.get("prof.li", leader["id"]).json
    assert (after["planned_end"], after["title"]) == ("2027-04-08", "Renamed")
    assert [e["change"]["change"] for e in mob.events("mobility.changed")] == ["shortened"]


def test_the_office_sets_report_rules_only_for_kinds_and_categories_that_have_them(mob: Mobilities) -> None:
    rule = {"kind": "faculty_exchange", "category": "taiwan", "min_chars": 3000, "photos": 3, "due_days": 10,
            "publish_days": 30}
    saved = mob.call("icd.officer", "PUT", "/report-rules", json={"rules": [rule]})
    assert saved.status_code == 200 and {**rule, "attendee_list": False} in saved.json["rules"]
    for bad in ({**rule, "kind": "student_exchange"}, {**rule, "category": "moon"}, {**rule, "due_days": 0}):
        refused = mob.call("icd.officer", "PUT", "/report-rules", json={"rules": [bad]})
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert mob.call("icd.officer", "GET", "/report-rules").json == saved.json


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_the_services_metrics_count_records_by_status_and_open_holds(mob: Mobilities) -> None:
    record = mob.approve(travellers=[{"name": "Li Wei", "staff_number": None, "role": "leader"}])[0]
    travel(mob, record)
    mob.sweep("2027-03-30T03:00:00+00:00")
    text = mob.client.get("/metrics").get_data(as_text=True)
    assert 'mobility_records{kind="faculty_exchange",status="returned"} 1.0' in text
    assert 'mobility_holds_open{scope="person",what="report"} 1.0' in text


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)
def test_a_return_follows_the_arrival_and_the_held_stay_is_on_the_overdue_list(mob: Mobilities) -> None:
    record = mob.approve(travellers=[{"name": "Li Wei", "staff_number": None, "role": "leader"}])[0]
    mob.post("prof.li", record["id"], "/checklist/passport_collected", {"done": True})
    assert mob.post("prof.li", record["id"], "/departure", {"date": "2027-03-09"}).status_code == 200
    mob.post("prof.li", record["id"], "/arrival", {"date": "2027-03-10"})
    before = mob.post("prof.li", record["id"], "/return", {"date": "2027-03-09"})
    assert before.status_code == 422 and "arrival" in before.json["errors"]["date"][0]
    mob.post("prof.li", record["id"], "/return", {"date": "2027-03-14"})
    mob.sweep("2027-03-30T03:00:00+00:00")  # overdue since 29 March: held
    with time_machine.travel("2027-04-01T03:00:00Z", tick=False):
        report_of(mob, record)
        mob.post("prof.li", record["id"], "/report/submit")  # late, and with the reviewers now
        listed = mob.call("coord.cs", "GET", "/overdue").json["items"]
        assert [(i["mobility"]["id"], i["what"], i["due_on"]) for i in listed] == [
            (record["id"], "report", "2027-03-29")]
