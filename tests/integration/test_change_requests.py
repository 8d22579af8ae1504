"""Changes after approval on PostgreSQL (the applications side): who may ask, what is judged, what is announced,
and what the chain's verdict does. The whole round trip through reviews is tests/e2e/test_staff_trip.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from tests.integration.test_approval_documents import HANDLERS, _approval, _approve, _approved
from tests.support import group_trip
from tests.support.service_api import Api


def _ask(api: Api, user: str, application: dict[str, Any], form: dict[str, Any], reason: str = "Moved a day.",
         version: int | None = None) -> Any:
    return api.call(user, "POST", f"/api/v1/applications/{application['id']}/change-requests",
                    version=application["version"] if version is None else version,
                    json={"form": form, "reason": reason})


def _group(api: Api) -> dict[str, Any]:
    """prof.li's staff group trip, approved with its 任务批件 (the chain's events applied as reviews sends them)."""
    created = api.call("prof.li", "POST", "/api/v1/applications", json=group_trip.body())
    assert created.status_code == 201, created.json
    assert api.upload("prof.li", created.json["id"], "invitation_letter").status_code == 201
    assert api.submit("prof.li", created.json).status_code == 200
    _approve(api, created.json)
    return api.call("prof.li", "GET", f"/api/v1/applications/{created.json['id']}").json  # type: ignore[no-any-return]



def _verdict(api: Api, application: dict[str, Any], version: int, outcome: str) -> None:
    event = envelope.new_event("review.completed", "/services/reviews", application["id"], {
        "application_id": application["id"], "application_version": version, "outcome": outcome, "level": 3,
        "comment": "Fine." if outcome == "approved" else "Not with this budget.", "decided_by": "icd.officer",
        "decided_at": datetime.now(UTC).isoformat()})
    with make_sessionmaker(api.engine)() as session, session.begin():
        apply(HANDLERS, session, event)


def test_the_applicant_asks_once_the_form_is_judged_and_the_change_is_announced_as_it_would_be(api: Api) -> None:
    trip = _group(api)
    later = group_trip.shifted(trip["form"], 1)
    assert _ask(api, "bob", trip, later).status_code == 404  # not theirs to see
    assert _ask(api, "coord.cs", trip, later).status_code == 403  # a reviewer, not the applicant
    assert _ask(api, "prof.li", trip, later, reason=" ").status_code == 422
    assert _ask(api, "prof.li", trip, later, version=trip["version"] - 1).status_code == 409
    too_long = group_trip.shifted(trip["form"], 1)
    too_long["end_date"] = str(date.fromisoformat(too_long["end_date"]) + timedelta(days=3))  # 11 days, 2 countries
    refused = _ask(api, "prof.li", trip, too_long)
    assert refused.status_code == 422 and "At most 8 days" in refused.json["errors"]["end_date"][0]
    assert api.count("SELECT count(*) FROM change_requests") == 0
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.change_requested'") == 0

    asked = _ask(api, "prof.li", trip, later)
    assert asked.status_code == 201, asked.json
    assert asked.json["status"] == "pending" and asked.json["version"] == trip["version"] + 1
    assert _ask(api, "prof.li", trip, group_trip.shifted(trip["form"], 2)).status_code == 409  # one at a time
    with api.engine.connect() as c:
        body = c.scalar(text("SELECT body FROM outbox WHERE type = 'application.change_requested'"))
    data = envelope.from_json(body).get_data()
    assert data["version"] == trip["version"] + 1 and data["status"] == "approved"
    assert data["change"]["reason"] == "Moved a day." and data["notice"]["start_date"] == later["start_date"]
    assert data["mobility"]["start_date"] == later["start_date"]
    stands = api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}").json
    assert stands["form"]["start_date"] == trip["form"]["start_date"]  # nothing changes before the chain agrees


def test_an_approved_change_is_the_next_version_and_revision_a_rejected_one_changes_nothing(api: Api) -> None:
    trip = _group(api)
    later = group_trip.shifted(trip["form"], 1)
    first = _approval(api, trip).json
    assert _ask(api, "prof.li", trip, later).status_code == 201
    _verdict(api, trip, trip["version"] + 1, "approved")
    changed = api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}").json
    assert changed["version"] == trip["version"] + 1 and changed["status"] == "approved"
    assert changed["form"]["start_date"] == later["start_date"]
    second = _approval(api, trip).json
    assert second["revision"] == 2 and second["number"] == first["number"]

    assert _ask(api, "prof.li", changed, group_trip.shifted(changed["form"], 2)).status_code == 201
    _verdict(api, changed, changed["version"] + 1, "rejected")
    stands = api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}").json
    assert stands["form"] == changed["form"] and stands["version"] == changed["version"]
    listed = api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}/change-requests").json["items"]
    assert [c["status"] for c in listed] == ["approved", "rejected"]
    assert listed[1]["comment"] == "Not with this budget."
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.changed'") == 1
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.change_rejected'") == 1


def test_a_trip_approved_without_a_document_or_not_approved_cannot_be_changed(api: Api) -> None:
    shorthand = _approved(api)  # approved through the chain: it has its document
    assert _approval(api, shorthand).status_code == 200
    with api.engine.begin() as c:  # as if approved before the upgrade: no document
        c.execute(text("DELETE FROM approval_documents"))
    current = api.call("prof.li", "GET", f"/api/v1/applications/{shorthand['id']}").json
    refused = _ask(api, "prof.li", current, current["form"])
    assert refused.status_code == 409 and "without an approval document" in refused.json["detail"]
    draft = api.call("prof.li", "POST", "/api/v1/applications", json=group_trip.body()).json
    assert _ask(api, "prof.li", draft, draft["form"]).status_code == 409


def test_a_change_is_judged_against_the_plan_without_counting_its_own_trip_twice(api: Api) -> None:
    with api.engine.begin() as c:  # the school planned exactly this trip: one trip of three people
        c.execute(text("INSERT INTO trip_plans VALUES ('cs', :year, 1, 3)"), {"year": group_trip.YEAR})
    trip = _group(api)
    with api.engine.connect() as c:  # the statistics read model takes the application's own news
        bodies = list(c.scalars(text("SELECT body FROM outbox WHERE type LIKE 'application.%' ORDER BY id")))
    for body in bodies:
        with make_sessionmaker(api.engine)() as session, session.begin():
            apply(HANDLERS, session, envelope.from_json(body))
    assert api.count("SELECT count(*) FROM stats_mobilities WHERE status = 'approved'") == 1
    assert _ask(api, "prof.li", trip, group_trip.shifted(trip["form"], 1)).status_code == 201
    with api.engine.connect() as c:
        body = c.scalar(text("SELECT body FROM outbox WHERE type = 'application.change_requested'"))
    assert envelope.from_json(body).get_data()["assessment"]["outside_plan"] is False
