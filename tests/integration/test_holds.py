"""Holds on submitting, on PostgreSQL (the applications side): mobilities' mobility.hold_placed keeps whoever it
names from submitting (the applicant, a member of the group by staff number, or the whole school) with a 409
problem that names the hold and what clears it, and changes nothing; mobility.hold_cleared lets the submission
through, also when the news arrives twice or out of order. The holds themselves are mobilities' (its tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chassis.db import make_sessionmaker
from eventbus import catalog, envelope
from eventbus.consumer import apply
from tests.integration.test_approval_documents import HANDLERS
from tests.support import group_trip
from tests.support.service_api import Api


def _hold(scope: str = "person", username: str | None = "prof.li", staff_number: str | None = None,
          school: str = "cs", **more: Any) -> dict[str, Any]:
    return {"hold_id": str(uuid.uuid4()), "scope": scope, "username": username, "staff_number": staff_number,
            "school": school, "reason": "report_overdue", "mobility_id": str(uuid.uuid4()),
            "title": "Conference at Technical University of Munich", "due_on": "2027-06-01",
            "clears": "report_accepted", **more}


def _tell(api: Api, event_type: str, hold: dict[str, Any]) -> None:
    """The news as the consumer applies it: validated against the catalog, in one transaction."""
    event = envelope.new_event(event_type, "/services/mobilities", hold["hold_id"], hold)
    with make_sessionmaker(api.engine)() as session, session.begin():
        apply(HANDLERS, session, event)


def _ready(api: Api) -> dict[str, Any]:
    """prof.li's staff group trip (members T20081, T20112, T20307), ready to submit."""
    created = api.call("prof.li", "POST", "/api/v1/applications", json=group_trip.body())
    assert created.status_code == 201, created.json
    assert api.upload("prof.li", created.json["id"], "invitation_letter").status_code == 201
    return created.json  # type: ignore[no-any-return]


def _unchanged(api: Api, application: dict[str, Any]) -> None:
    stands = api.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json
    assert stands["status"] == "draft" and stands["version"] == application["version"]
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 0
    assert api.count("SELECT count(*) FROM application_submissions") == 0
    assert api.count("SELECT count(*) FROM application_history WHERE to_status = 'submitted'") == 0


def test_a_hold_on_the_applicant_refuses_the_submission_naming_it_until_it_is_cleared(api: Api) -> None:
    application = _ready(api)
    hold = _hold()
    _tell(api, "mobility.hold_placed", hold)
    _tell(api, "mobility.hold_placed", {**hold})  # the same hold told again (another event): still one
    assert api.count("SELECT count(*) FROM holds") == 1

    refused = api.submit("prof.li", application)
    assert refused.status_code == 409 and refused.content_type == "application/problem+json"
    body = refused.json
    assert body["type"].endswith("/problems/on-hold") and body["title"] == "On hold"
    assert "You are on hold" in body["detail"] and "Conference at Technical University of Munich" in body["detail"]
    assert "once the report is accepted" in body["detail"] and "2027-06-01" in body["detail"]
    assert body["holds"] == [{"reason": "report_overdue", "title": "Conference at Technical University of Munich",
                              "due_on": "2027-06-01", "clears": "report_accepted", "holds": "applicant",
                              "staff_number": None}]
    _unchanged(api, application)

    _tell(api, "mobility.hold_cleared", hold)
    _tell(api, "mobility.hold_placed", hold)  # a late copy of the placement does not bring it back
    submitted = api.submit("prof.li", application)
    assert submitted.status_code == 200, submitted.json
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 1


def test_a_clearing_that_arrives_before_its_placement_keeps_the_hold_cleared(api: Api) -> None:
    application = _ready(api)
    hold = _hold()
    _tell(api, "mobility.hold_cleared", hold)
    _tell(api, "mobility.hold_placed", hold)
    assert api.count("SELECT count(*) FROM holds WHERE cleared_at IS NOT NULL") == 1
    assert api.submit("prof.li", application).status_code == 200


def test_a_hold_on_a_member_of_the_group_by_staff_number_refuses_the_groups_submission(api: Api) -> None:
    application = _ready(api)
    _tell(api, "mobility.hold_placed", _hold(username="wang.fang", staff_number="T20112"))
    _tell(api, "mobility.hold_placed", _hold(username="someone.else", staff_number="T99999"))  # not in the group
    refused = api.submit("prof.li", application)
    assert refused.status_code == 409
    assert [h["staff_number"] for h in refused.json["holds"]] == ["T20112"]
    assert refused.json["holds"][0]["holds"] == "member"
    assert "staff number T20112" in refused.json["detail"]
    _unchanged(api, application)


def test_a_school_hold_refuses_every_submission_of_that_school_and_no_other(api: Api) -> None:
    application = _ready(api)
    _tell(api, "mobility.hold_placed", _hold(scope="school", username=None, school="me", reason="summary_overdue",
                                             clears="summary_accepted"))
    assert api.submit("prof.li", application).status_code == 200  # another school's hold: cs is free

    another = _ready(api)
    school_hold = _hold(scope="school", username=None, reason="summary_overdue", clears="summary_accepted")
    _tell(api, "mobility.hold_placed", school_hold)
    refused = api.submit("prof.li", another)
    assert refused.status_code == 409
    assert "Your school is on hold" in refused.json["detail"] and "the summary is accepted" in refused.json["detail"]
    assert refused.json["holds"][0]["holds"] == "school"
    _tell(api, "mobility.hold_cleared", school_hold)
    assert api.submit("prof.li", another).status_code == 200


def test_a_resubmission_is_held_too(api: Api) -> None:
    application = _ready(api)
    submitted = api.submit("prof.li", application).json
    task = catalog.schema("review.task_created")["x-asyncapi"]["examples"][0]["data"]  # a whole task
    common = {"application_id": application["id"], "application_version": submitted["version"]}
    for event_type, data in (
        ("review.task_created", {**task, **common}),
        ("review.completed", {**common, "outcome": "changes_requested", "comment": "Add the second paper's title.",
                              "decided_by": "coord.cs", "level": 1, "decided_at": datetime.now(UTC).isoformat()}),
    ):
        event = envelope.new_event(event_type, "/services/reviews", application["id"], data)
        with make_sessionmaker(api.engine)() as session, session.begin():
            apply(HANDLERS, session, event)
    returned = api.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json
    assert returned["status"] == "changes_requested"
    _tell(api, "mobility.hold_placed", _hold())
    refused = api.submit("prof.li", returned)
    assert refused.status_code == 409 and refused.json["holds"][0]["holds"] == "applicant"
    stands = api.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json
    assert stands["status"] == "changes_requested"
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.resubmitted'") == 0
