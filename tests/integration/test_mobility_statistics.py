"""The statistics learn what happened after approval from the mobility.* events, on PostgreSQL through the
stats API: "completed" from the actual returns of every record of an application (a group's members each have
one), people back, no-shows, stays extended and shortened, reports on time and late; late, repeated or
reordered news of a record changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventbus import envelope
from eventbus.catalog import SchemaError
from eventbus.consumer import apply
from services.applications import reporting
from services.applications.models import MobilityRecordFact
from tests.support.service_api import Api

FACTS = {"direction": "outbound", "people": 3, "partner_id": None, "partner_name": "MIT", "country": "US",
         "region": "americas", "start_date": "2031-03-01", "end_date": "2031-03-14", "duration_days": 14,
         "duration_band": "two_weeks_or_less", "academic_year": 2030}
AFTER_THE_PLAN = "2031-06-01"  # every planned last day is behind: the old guess would call all of them completed
AFTER_APPROVAL = ("people_returned", "no_shows", "stays_extended", "stays_shortened", "reports_on_time",
                  "reports_late")


def _approved(api: Api, school: str = "cs", kind: str = "faculty_exchange", **facts: Any) -> str:
    """An approved application in the read model, as application.approved tells it."""
    app = str(uuid.uuid4())
    data = {"application_id": app, "kind": kind, "school": school, "status": "approved", "version": 1,
            "mobility": {**FACTS, **facts}, "applicant": "prof.li", "applicant_name": "Li",
            "applicant_email": "li@example.edu", "locale": "zh", "program_id": None, "title": "A trip",
            "decided_by": "icd.officer", "submitted_at": "2030-11-01T08:00:00+00:00",
            "decided_at": "2030-11-20T09:00:00+00:00"}
    _deliver(api, envelope.new_event("application.approved", "/services/applications", app, data,
                                     aggregateversion=4))
    return app


class Record:
    """One person's mobility record, and the mobility.* events the mobilities service would send about it."""

    def __init__(self, application_id: str, role: str = "member", kind: str = "faculty_exchange",
                 school: str = "cs") -> None:
        self.id, self.version = str(uuid.uuid4()), 0
        self.state: dict[str, Any] = {
            "mobility_id": self.id, "application_id": application_id, "group_id": application_id, "kind": kind,
            "category": "general" if kind == "faculty_exchange" else None, "school": school, "owner": "prof.li",
            "person": {"name": f"Traveller {self.id[:4]}", "staff_number": None, "role": role}, "title": "A trip",
            "status": "planned", "planned_start": "2031-03-01", "planned_end": "2031-03-14", "departed_on": None,
            "arrived_on": None, "returned_on": None}

    def news(self, event_type: str, **change: Any) -> Any:
        """The next version of the record as `event_type` announces it (the state carried, plus `change`)."""
        self.version += 1
        extra = {k: v for k, v in change.items() if k in ("change", "report", "reason")}
        self.state.update({k: v for k, v in change.items() if k not in extra})
        return envelope.new_event(event_type, "/services/mobilities", self.id, {**self.state, **extra},
                                  aggregateversion=self.version)

    def planned(self) -> Any:
        return self.news("mobility.planned")

    def returned(self, on: str) -> Any:
        self.version += 1  # the departure between (mobility.departed: not the statistics' business)
        return self.news("mobility.returned", status="returned", departed_on="2031-03-01", returned_on=on)

    def reported(self, *, on_time: bool) -> Any:
        return self.news("mobility.reported", status="reported", report={
            "id": str(uuid.uuid4()), "due_on": "2031-03-29", "submitted_on": "2031-03-25" if on_time else "2031-04-02",
            "on_time": on_time})

    def changed(self, change: str, end: str) -> Any:
        previous = self.state["planned_end"]
        return self.news("mobility.changed", planned_end=end,
                         change={"change": change, "previous_end": previous, "reason": "The host asked."})


def _deliver(api: Api, *events: Any) -> None:
    for event in events:
        with Session(api.engine) as session, session.begin():
            apply(reporting.HANDLERS, session, event)


def _summary(api: Api, user: str = "icd.officer", **params: Any) -> dict[str, Any]:
    r = api.call(user, "GET", "/api/v1/stats/summary", query_string=params)
    assert r.status_code == 200, r.json
    return r.json["indicators"]  # type: ignore[no-any-return]


def _after(api: Api, **params: Any) -> tuple[int, ...]:
    """completed and the six counts of what happened after approval."""
    indicators = _summary(api, **params)
    return (indicators["completed"], *(indicators[key] for key in AFTER_APPROVAL))


def test_a_group_is_completed_when_its_last_member_is_back_not_when_its_plan_ends(api: Api) -> None:
    app = _approved(api)
    leader, member, third = Record(app, "leader"), Record(app), Record(app)
    _deliver(api, leader.planned(), member.planned(), third.planned())
    assert _after(api, as_of=AFTER_THE_PLAN) == (0, 0, 0, 0, 0, 0, 0)  # planned to end 14 March, nobody back

    _deliver(api, leader.returned("2031-03-14"), member.returned("2031-03-14"))
    assert _after(api, as_of=AFTER_THE_PLAN)[:2] == (0, 2)  # the third is still away: not completed, 2 back

    _deliver(api, third.returned("2031-03-20"))
    assert _after(api, as_of="2031-03-20")[:2] == (0, 2)  # the day of the last return is not yet "before"
    assert _after(api, as_of="2031-03-21")[:2] == (1, 3)
    assert _summary(api, as_of="2031-03-15")["people_returned"] == 2
    table = api.call("icd.officer", "GET", "/api/v1/stats/mobilities",
                     query_string={"group_by": "kind", "as_of": "2031-03-21"}).json["rows"]
    assert [(r["key"], r["approved"], r["completed"]) for r in table] == [("faculty_exchange", 1, 1)]


def test_no_shows_end_a_record_without_a_return(api: Api) -> None:
    partly = _approved(api)
    back, stayed_home = Record(partly, "leader"), Record(partly)
    nobody = _approved(api)
    alone = Record(nobody, "leader")
    _deliver(api, back.planned(), stayed_home.planned(), alone.planned(),
             stayed_home.news("mobility.no_show", status="no_show", reason="Visa refused"),
             alone.news("mobility.no_show", status="no_show", reason="Ill"), back.returned("2031-03-14"))
    completed, people_returned, no_shows, *_ = _after(api, as_of=AFTER_THE_PLAN)
    assert (completed, people_returned, no_shows) == (1, 1, 2)  # nobody went on `nobody`: never completed


def test_a_cancelled_trip_is_not_completed_and_an_application_without_records_counts_by_its_plan(api: Api) -> None:
    cancelled = _approved(api)
    record = Record(cancelled, "leader")
    _deliver(api, record.planned(), record.news("mobility.cancelled", status="cancelled"))
    assert _after(api, as_of=AFTER_THE_PLAN)[0] == 0
    _approved(api)  # approved before the mobilities service existed: no records, the planned last day counts
    assert _after(api, as_of="2031-03-14")[0] == 0
    assert _after(api, as_of="2031-03-15")[0] == 1


def test_changes_and_reports_are_counted_per_person(api: Api) -> None:
    app = _approved(api, people=3)
    longer, shorter, both = Record(app, "leader"), Record(app), Record(app)
    _deliver(api, longer.planned(), shorter.planned(), both.planned(),
             longer.changed("extended", "2031-03-20"), longer.changed("extended", "2031-03-25"),
             shorter.changed("shortened", "2031-03-10"),
             both.changed("shortened", "2031-03-12"), both.changed("extended", "2031-03-16"),
             longer.returned("2031-03-25"), shorter.returned("2031-03-10"), both.returned("2031-03-16"),
             longer.reported(on_time=True), shorter.reported(on_time=True), both.reported(on_time=False))
    assert _after(api, as_of=AFTER_THE_PLAN) == (1, 3, 0, 2, 2, 2, 1)


def test_a_hosted_event_is_completed_when_held_and_is_not_a_person(api: Api) -> None:
    app = _approved(api, kind="hosted_event", direction="inbound", people=12)
    event = Record(app, "event", kind="hosted_event")
    _deliver(api, event.planned(), event.news("mobility.returned", status="returned", returned_on="2031-03-12"))
    assert _after(api, as_of=AFTER_THE_PLAN)[:2] == (1, 0)


def test_late_repeated_and_reordered_news_of_a_record_changes_nothing(api: Api) -> None:
    app = _approved(api, people=1)
    record = Record(app, "leader")
    planned, extended = record.planned(), record.changed("extended", "2031-03-20")
    returned = record.returned("2031-03-20")
    on_time = record.reported(on_time=True)
    _deliver(api, returned, planned, returned, on_time)  # the planned news overtaken by its return
    assert _after(api, as_of=AFTER_THE_PLAN)[:2] == (1, 1)
    _deliver(api, extended, extended, planned, on_time)  # told late, and twice: one extension, still returned
    assert _after(api, as_of=AFTER_THE_PLAN) == (1, 1, 0, 1, 0, 1, 0)
    with Session(api.engine) as session:
        row = session.get(MobilityRecordFact, record.id)
        assert row is not None and (row.status, row.version, str(row.returned_on)) == ("reported", 5, "2031-03-20")


def test_a_record_counts_under_its_applications_filters_and_for_its_schools_dean(api: Api) -> None:
    cs, me = _approved(api, school="cs"), _approved(api, school="me", region="europe")
    cs_record, me_record = Record(cs, "leader"), Record(me, "leader", school="me")
    _deliver(api, cs_record.planned(), cs_record.returned("2031-03-14"), me_record.planned(),
             me_record.news("mobility.no_show", status="no_show", reason=None))
    assert _after(api, as_of=AFTER_THE_PLAN)[:3] == (1, 1, 1)
    assert _after(api, as_of=AFTER_THE_PLAN, region="europe")[:3] == (0, 0, 1)
    dean = _summary(api, "dean.cs", as_of=AFTER_THE_PLAN)
    assert (dean["completed"], dean["people_returned"], dean["no_shows"]) == (1, 1, 0)
    assert api.call("dean.cs", "GET", "/api/v1/stats/summary", query_string={"school": "me"}).status_code == 403


def test_news_the_catalog_refuses_changes_nothing(api: Api) -> None:
    app = _approved(api)
    record = Record(app, "leader")
    broken = record.news("mobility.changed", planned_end="2031-03-20")  # no `change`: not a mobility.changed
    with pytest.raises(SchemaError), Session(api.engine) as session, session.begin():
        apply(reporting.HANDLERS, session, broken)
    with Session(api.engine) as session:
        assert session.scalar(select(func.count()).select_from(MobilityRecordFact)) == 0
    r = api.call("icd.officer", "GET", "/api/v1/stats/summary", query_string={"as_of": "soon"})
    assert r.status_code == 422 and r.content_type == "application/problem+json"
