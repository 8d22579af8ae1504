"""Who hears of a trip or stay after approval (mobility.*), on PostgreSQL, and what they read: the owner (the
applicant, who acts for every person of the trip) of reminders, decisions on the report, changed dates and holds;
the school's coordinator and the ICD of what is overdue; the ICD of a no-show. Each text, in the reader's
language, names the title, the due date in words and what to do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from services.notifications import rules
from services.notifications.handlers import handlers_for
from tests.support.service import start_service

PEOPLE = {  # username: (locale, roles)
    "prof.li": ("en", [{"role": "teacher", "school": "cs"}]),
    "wang.fang": ("zh", [{"role": "teacher", "school": "cs"}]),
    "coord.cs": ("zh", [{"role": "school_coordinator", "school": "cs"}]),
    "coord.ee": ("en", [{"role": "school_coordinator", "school": "ee"}]),
    "icd.officer": ("zh", [{"role": "icd_officer", "school": None}]),
    "icd.two": ("en", [{"role": "icd_officer", "school": None}]),
}
BASE = "https://mobility.example.edu"
SOURCE = "/services/mobilities"


class Notifications:
    def __init__(self, engine: Any, handlers: Any) -> None:
        self.engine, self.handlers = engine, handlers
        self.sessions = make_sessionmaker(engine)

    def deliver(self, event_type: str, data: dict[str, Any], source: str = SOURCE) -> None:
        subject = data.get("mobility_id") or data.get("hold_id") or data.get("username") or "x"
        with self.sessions() as session, session.begin():
            apply(self.handlers, session, envelope.new_event(event_type, source, subject, data))

    def inbox(self, event_type: str) -> dict[str, tuple[str, str, str]]:
        """recipient → (subject, body, link) of the in-app notices of one type."""
        with self.engine.connect() as c:
            rows = c.execute(text("SELECT recipient, subject, body, link FROM notifications "
                                  "WHERE channel = 'inbox' AND event_type = :t"), {"t": event_type})
            return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def count(self) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(text("SELECT count(*) FROM notifications")) or 0)


@pytest.fixture
def nt(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Notifications]:
    service = start_service("notifications", tmp_path, pg_urls["notifications"], MOBILITY_PUBLIC_BASE_URL=BASE)
    n = Notifications(service.engine, handlers_for(service.settings))
    for user, (locale, roles) in PEOPLE.items():
        n.deliver("user.registered", {"username": user, "email": f"{user}@example.org", "locale": locale,
                                      "roles": roles, "school": roles[0]["school"]}, "/services/gateway")
    yield n
    service.engine.dispose()


def record(owner: str = "prof.li", **extra: Any) -> dict[str, Any]:
    """A staff member's record of a group trip, returned, as the common fields of _defs/mobility.json."""
    application_id = str(uuid.uuid4())
    return {"mobility_id": str(uuid.uuid4()), "application_id": application_id, "group_id": application_id,
            "kind": "faculty_exchange", "category": "general", "school": "cs", "owner": owner,
            "person": {"name": "Zhang Wei", "staff_number": "T0042", "role": "member"},
            "title": "Visit to TU Berlin", "status": "returned", "planned_start": "2031-03-01",
            "planned_end": "2031-03-10", "departed_on": "2031-03-01", "arrived_on": "2031-03-02",
            "returned_on": "2031-03-10", **extra}


def hold(scope: str, **extra: Any) -> dict[str, Any]:
    return {"hold_id": str(uuid.uuid4()), "scope": scope, "username": "prof.li" if scope == "person" else None,
            "staff_number": "T0042" if scope == "person" else None, "school": "cs", "reason": "report_overdue",
            "mobility_id": str(uuid.uuid4()), "title": "Visit to TU Berlin", "due_on": "2031-03-25",
            "clears": "report_accepted", **extra}


def test_the_notifications_worker_binds_to_the_mobility_types_it_notifies(nt: Notifications) -> None:
    notified = {"mobility.due_soon", "mobility.overdue", "mobility.report_decided", "mobility.hold_placed",
                "mobility.changed", "mobility.no_show"}
    assert notified <= set(rules.RULES)
    assert notified <= set(nt.handlers)  # the consumer's bindings come from this table


def test_a_reminder_tells_the_owner_what_is_due_when_and_what_to_do(nt: Notifications) -> None:
    data = record(due={"what": "report", "due_on": "2031-03-25"})
    nt.deliver("mobility.due_soon", data)
    subject, body, link = nt.inbox("mobility.due_soon")["prof.li"]
    assert subject == "Due soon: the trip report for Visit to TU Berlin"
    assert body.startswith('The trip report for "Visit to TU Berlin" (Zhang Wei) is due on 25 Mar 2031. Before '
                           "then, please write the trip report in Mobility and submit it, with the length and "
                           "photos required.")
    assert link == f"{BASE}/mobilities/{data['mobility_id']}"  # the record's page, where the traveller acts
    assert set(nt.inbox("mobility.due_soon")) == {"prof.li"}  # a reminder is the owner's alone

    nt.deliver("mobility.due_soon", record("wang.fang", kind="foreign_expert", category=None,
                                           person={"name": "Anna Schmidt", "staff_number": None, "role": "expert"},
                                           title="Visiting professor", due={"what": "residence_permit",
                                                                            "due_on": "2031-04-01"}))
    subject, body, _ = nt.inbox("mobility.due_soon")["wang.fang"]
    assert subject == "即将到期：居留许可（Visiting professor）"
    assert ("“Visiting professor”（Anna Schmidt）的居留许可将于 2031年4月1日 到期。"
            "请在此之前办理居留许可，并在系统中登记办理日期。") in body


def test_overdue_reaches_the_owner_the_schools_coordinator_and_the_icd(nt: Notifications) -> None:
    nt.deliver("mobility.overdue", record(due={"what": "report", "due_on": "2031-03-25", "days_overdue": 3}))
    notices = nt.inbox("mobility.overdue")
    assert set(notices) == {"prof.li", "coord.cs", "icd.officer", "icd.two"}  # not another school's coordinator
    subject, body, _ = notices["prof.li"]
    assert subject == "Overdue: the trip report for Visit to TU Berlin"
    assert ("was due on 25 Mar 2031 and is 3 day(s) overdue. Still to do, as soon as possible: write the trip "
            "report in Mobility and submit it") in body
    assert body.split("\n")[0].endswith("Until it is done, the applicant cannot submit a new application.")
    subject, body, _ = notices["coord.cs"]
    assert subject == "已逾期：出访报告（Visit to TU Berlin）"
    assert "已于 2031年3月25日 到期，现已逾期 3 天。需要尽快在系统中填写并提交出访报告" in body
    assert notices["icd.officer"][0] == subject
    assert notices["icd.two"][0] == "Overdue: the trip report for Visit to TU Berlin"


def test_someone_who_is_owner_and_coordinator_is_told_once(nt: Notifications) -> None:
    nt.deliver("mobility.overdue", record("coord.cs", due={"what": "report", "due_on": "2031-03-25",
                                                           "days_overdue": 1}))
    with nt.engine.connect() as c:
        rows = c.scalar(text("SELECT count(*) FROM notifications WHERE recipient = 'coord.cs' AND channel = 'inbox'"))
    assert rows == 1


@pytest.mark.parametrize(("report", "subject", "says"), [
    ({"stage": "school", "outcome": "returned", "comment": "Add the meetings of day 3."},
     "Trip report returned: Visit to TU Berlin",
     ["Your school returned the trip report", "revise it as the comment asks and submit it again",
      "Comment: Add the meetings of day 3."]),
    ({"stage": "icd", "outcome": "returned", "comment": "Two photos, please.", "due_on": "2031-03-25"},
     "Trip report returned: Visit to TU Berlin",
     ["The International Cooperation Department returned the trip report", "(due 25 Mar 2031)",
      "Comment: Two photos, please."]),
    ({"stage": "school", "outcome": "accepted", "comment": None},
     "Trip report accepted by the school: Visit to TU Berlin", ["now goes to the International Cooperation"]),
    ({"stage": "icd", "outcome": "accepted", "comment": ""},
     "Trip report accepted: Visit to TU Berlin", ["published on the publicity page", "hold it caused"]),
])
def test_the_owner_hears_each_decision_on_the_report(
    nt: Notifications, report: dict[str, Any], subject: str, says: list[str]
) -> None:
    nt.deliver("mobility.report_decided", record(
        status="reported" if report["outcome"] == "accepted" and report["stage"] == "icd" else "returned",
        report={"id": str(uuid.uuid4()), "decided_by": "coord.cs", **report}))
    notices = nt.inbox("mobility.report_decided")
    assert set(notices) == {"prof.li"}
    got_subject, body, _ = notices["prof.li"]
    assert got_subject == subject
    for words in says:
        assert words in body, body
    assert "Comment:" in body if report["comment"] else "Comment:" not in body


def test_a_returned_summary_is_called_a_summary_in_chinese(nt: Notifications) -> None:
    nt.deliver("mobility.report_decided", record(
        "wang.fang", kind="hosted_event", category=None, title="AI Summer Forum",
        person={"name": "AI Summer Forum", "staff_number": None, "role": "event"},
        report={"id": str(uuid.uuid4()), "stage": "school", "outcome": "returned", "comment": "缺少参会名单"}))
    subject, body, _ = nt.inbox("mobility.report_decided")["wang.fang"]
    assert subject == "活动总结被退回：AI Summer Forum"
    assert body.startswith("“AI Summer Forum”的活动总结被学院退回。请按意见修改后在系统中重新提交。意见：缺少参会名单")


def test_a_hold_tells_the_person_or_the_schools_coordinator(nt: Notifications) -> None:
    nt.deliver("mobility.hold_placed", hold("person"))
    nt.deliver("mobility.hold_placed", hold("school"))
    notices = nt.inbox("mobility.hold_placed")
    assert set(notices) == {"prof.li", "coord.cs"}
    subject, body, _ = notices["prof.li"]
    assert subject == "New applications on hold: the trip report for Visit to TU Berlin is overdue"
    assert ("was due on 25 Mar 2031 and is not done, so you cannot submit a new application for now. Please write "
            "the trip report in Mobility and submit it") in body
    assert "the hold is lifted by itself once the report is accepted." in body
    subject, body, _ = notices["coord.cs"]
    assert subject == "学院新申请已暂停：出访报告逾期（Visit to TU Berlin）"
    assert "已于 2031年3月25日 到期仍未完成。按国际合作处的设置，您所在学院暂时不能提交新的申请。" in body
    assert "报告被接受后，暂停将自动解除。" in body


def test_changed_dates_tell_the_owner_the_old_and_new_end(nt: Notifications) -> None:
    nt.deliver("mobility.changed", record(status="departed", planned_end="2031-03-20", change={
        "change": "extended", "previous_end": "2031-03-10", "reason": "The lab work needs ten more days."}))
    nt.deliver("mobility.changed", record("wang.fang", status="departed", planned_end="2031-03-06", change={
        "change": "shortened", "previous_end": "2031-03-10", "reason": None}))
    notices = nt.inbox("mobility.changed")
    assert set(notices) == {"prof.li", "wang.fang"}
    subject, body, _ = notices["prof.li"]
    assert subject == "Stay extended: Visit to TU Berlin"
    assert "moved from 10 Mar 2031 to 20 Mar 2031. Come back by the new date" in body
    assert "Reason: The lab work needs ten more days.." not in body and "Reason: The lab work" in body
    subject, body, _ = notices["wang.fang"]
    assert subject == "行程已缩短：Visit to TU Berlin"
    assert "的结束日期已由 2031年3月10日 提前至 2031年3月6日。" in body and "原因" not in body


def test_a_no_show_is_told_to_the_owner_and_the_icd(nt: Notifications) -> None:
    nt.deliver("mobility.no_show", record(status="no_show", departed_on=None, arrived_on=None, returned_on=None,
                                          reason="Visa refused"))
    notices = nt.inbox("mobility.no_show")
    assert set(notices) == {"prof.li", "icd.officer", "icd.two"}
    assert notices["prof.li"][0] == "Did not travel: Visit to TU Berlin"
    owner, officer = notices["prof.li"][1], notices["icd.officer"][1]
    assert "recorded as not travelled (a no-show)" in owner and "Reason: Visa refused. If this" in owner
    assert notices["icd.officer"][0] == "未成行：Visit to TU Berlin" and "原因：Visa refused。如有误" in officer


def test_an_owner_not_yet_known_is_retried_and_nothing_is_written(nt: Notifications) -> None:
    before = nt.count()
    with pytest.raises(rules.RecipientUnknown):
        nt.deliver("mobility.overdue", record("newcomer", due={"what": "report", "due_on": "2031-03-25",
                                                               "days_overdue": 1}))
    assert nt.count() == before  # not the coordinator's and the ICD's without the owner's: the retry writes all


def test_no_text_is_left_with_a_gap_in_either_language(nt: Notifications) -> None:
    from services.notifications import templates

    events = [
        ("mobility.due_soon", record(due={"what": "summary", "due_on": "2031-05-10"})),
        ("mobility.overdue", record(due={"what": "transcript", "due_on": "2031-07-01", "days_overdue": 5})),
        ("mobility.report_decided", record(report={"id": "r", "stage": "icd", "outcome": "accepted"})),
        ("mobility.hold_placed", hold("person", reason="residence_permit_overdue", clears="residence_permit_recorded")),
        ("mobility.changed", record(change={"change": "extended", "previous_end": "2031-03-10"})),
        ("mobility.no_show", record(reason=None)),
    ]
    for event_type, data in events:
        for locale in ("zh", "en"):
            rendered = templates.render(event_type, locale, data, BASE)
            if (data.get("due") or {}).get("what") == "transcript":  # a transcript holds nothing back
                assert "new application" not in rendered.body and "新的申请" not in rendered.body
            for part in (rendered.subject, rendered.body):
                assert "{" not in part and "  " not in part.strip() and "“”" not in part and '""' not in part, part
                assert "_" not in part.split("\n\n")[0], part  # no code such as residence_permit shows


def test_an_extension_decided_speaks_of_the_stay_not_of_an_approval_document() -> None:
    from services.notifications import templates

    change = {"application_id": str(uuid.uuid4()), "title": "Visit to TU Berlin", "comment": None,
              "change": {"id": "c", "number": 1, "reason": "More lab work", "extension_id": str(uuid.uuid4())}}
    approved = templates.render("application.changed", "en", change, BASE)
    assert approved.subject == "Extension approved: Visit to TU Berlin" and "approval document" not in approved.body
    refused = templates.render("application.change_rejected", "zh", {**change, "comment": "经费不足"}, BASE)
    assert refused.subject == "延期未获批准：Visit to TU Berlin" and "经费不足" in refused.body
    plain = templates.render("application.changed", "en", {**change, "change": {"id": "c", "number": 1}}, BASE)
    assert "approval document has a new revision" in plain.body  # a staff trip's own change: its 任务批件 moves


def test_a_report_handed_in_asks_the_schools_coordinator_to_review_it(nt: Notifications) -> None:
    nt.deliver("mobility.report_submitted", record(report={"id": "r", "due_on": "2031-03-25",
                                                           "submitted_on": "2031-03-20"}))
    notices = nt.inbox("mobility.report_submitted")
    assert set(notices) == {"coord.cs"}  # not the owner, not another school's, not yet the ICD
    subject, body, link = notices["coord.cs"]
    assert subject == "待审核的出访报告：Visit to TU Berlin" and "请在系统中审核" in body
    assert "/mobilities/" in link
