"""A traveller's extension beyond the approved dates, on PostgreSQL (the applications side): mobilities'
mobility.extension_requested becomes a change request of the approved form with the new end (the kind's
`with_end`), announced as application.change_requested naming the extension, and its verdict as
application.changed or .change_rejected naming it too; an extension that cannot even be asked for is refused at
once with the reason, and the approved application stands. Also: application.approved says who travels."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from chassis.db import make_sessionmaker
from eventbus import catalog, envelope
from eventbus.consumer import apply
from services.applications.models import Application
from tests.integration.test_approval_documents import HANDLERS, _approve
from tests.integration.test_change_requests import _verdict
from tests.support import group_trip
from tests.support.api import example
from tests.support.service_api import Api


def _approved(api: Api, body: dict[str, Any], user: str = "prof.li") -> dict[str, Any]:
    created = api.call(user, "POST", "/api/v1/applications", json=body)
    assert created.status_code == 201, created.json
    for doc_type in {"faculty_exchange": ["invitation_letter"], "foreign_expert": ["cv", "passport"]}.get(
            body["kind"], []):
        assert api.upload(user, created.json["id"], doc_type).status_code == 201
    submitted = api.submit(user, created.json)
    assert submitted.status_code == 200, submitted.json
    _approve(api, submitted.json)
    approved = api.call(user, "GET", f"/api/v1/applications/{created.json['id']}").json
    assert approved["status"] == "approved"
    return approved  # type: ignore[no-any-return]


def _short_group(api: Api) -> dict[str, Any]:
    """prof.li's group trip one day shorter than the example (7 days, two countries: the category allows 8), its
    lodging within the allowance for a night less."""
    body = group_trip.body()
    form = body["form"]
    form["budget_lines"]["lodging"] = "4000.00"
    form["end_date"] = str(date.fromisoformat(form["end_date"]) - timedelta(days=1))
    form["itinerary"][-1]["departure"] = str(date.fromisoformat(form["itinerary"][-1]["departure"])
                                             - timedelta(days=1))
    return _approved(api, body)


def _expert(api: Api) -> dict[str, Any]:
    return _approved(api, {"kind": "foreign_expert", "program_id": None, "form": {
        "expert_name": "Dr. Maria Rossi", "nationality": "IT", "institution": "Politecnico di Milano",
        "field": "Computer vision", "start_date": "2031-09-01", "end_date": "2031-12-20",
        "activities": "Teach a graduate course on 3D vision.", "budget": "120000.00"}})


def _extend(api: Api, application: dict[str, Any], end_date: str, extension_id: str | None = None,
            reason: str | None = "The workshop was prolonged by the host.") -> str:
    """mobilities' news that the traveller asked to stay until `end_date`, applied as the consumer would."""
    extension_id = extension_id or str(uuid.uuid4())
    data = copy.deepcopy(catalog.schema("mobility.extension_requested")["x-asyncapi"]["examples"][0]["data"])
    data.update(application_id=application["id"], group_id=application["id"], kind=application["kind"],
                extension={"id": extension_id, "end_date": end_date, "reason": reason, "requested_by": "prof.li"})
    event = envelope.new_event("mobility.extension_requested", "/services/mobilities", data["mobility_id"], data)
    with make_sessionmaker(api.engine)() as session, session.begin():
        apply(HANDLERS, session, event)
    return extension_id


def _events(api: Api, event_type: str) -> list[dict[str, Any]]:
    with api.engine.connect() as c:
        bodies = c.scalars(text("SELECT body FROM outbox WHERE type = :type ORDER BY id"), {"type": event_type})
        return [envelope.from_json(body).get_data() for body in bodies]


def test_approved_says_who_travels_and_the_trips_category(api: Api) -> None:
    _short_group(api)
    _expert(api)
    for user, kind in (("coord.cs", "hosted_event"), ("alice", "student_exchange")):
        submitted = api.submit(user, api.ready(user, kind))
        assert submitted.status_code == 200, submitted.json
        _approve(api, submitted.json)
    group, expert, event, student = _events(api, "application.approved")
    assert event["travellers"] == [{"name": example("hosted_event")["form"]["title"], "staff_number": None,
                                    "role": "event"}]
    assert student["travellers"] == [{"name": "Alice Wang", "staff_number": None, "role": "student"}]
    assert group["category"] == "general"
    assert group["travellers"] == [{"name": "李伟", "staff_number": "T20081", "role": "leader"},
                                   {"name": "王芳", "staff_number": "T20112", "role": "member"},
                                   {"name": "陈晨", "staff_number": "T20307", "role": "member"}]
    assert expert["category"] is None
    assert expert["travellers"] == [{"name": "Dr. Maria Rossi", "staff_number": None, "role": "expert"}]


def test_an_extension_is_a_change_request_of_the_approved_trip_and_its_verdict_names_it(api: Api) -> None:
    trip = _short_group(api)
    end = str(date.fromisoformat(trip["form"]["end_date"]) + timedelta(days=1))
    extension_id = _extend(api, trip, end)
    _extend(api, trip, end, extension_id=extension_id)  # told again (another event): still one change
    [asked] = _events(api, "application.change_requested")
    assert asked["change"]["extension_id"] == extension_id
    assert asked["change"]["reason"] == "The workshop was prolonged by the host."
    assert asked["mobility"]["end_date"] == end and asked["version"] == trip["version"] + 1
    listed = api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}/change-requests").json["items"]
    assert [(c["status"], c["requested_by"]) for c in listed] == [("pending", "prof.li")]
    assert listed[0]["form"]["end_date"] == end
    left = date.fromisoformat(trip["form"]["itinerary"][-1]["departure"]) + timedelta(days=1)
    assert listed[0]["form"]["itinerary"][-1]["departure"] == str(left)  # the last stop is left a day later too

    _verdict(api, trip, trip["version"] + 1, "approved")
    [changed] = _events(api, "application.changed")
    assert changed["change"]["extension_id"] == extension_id and changed["mobility"]["end_date"] == end
    assert api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}").json["form"]["end_date"] == end


def test_an_extension_beyond_the_rules_or_while_another_change_waits_is_refused_at_once(api: Api) -> None:
    trip = _short_group(api)
    too_long = str(date.fromisoformat(trip["form"]["end_date"]) + timedelta(days=4))  # 11 days, 2 countries
    refused_id = _extend(api, trip, too_long)
    [refused] = _events(api, "application.change_rejected")
    assert refused["change"]["extension_id"] == refused_id and refused["decided_by"] == "applications"
    assert refused["comment"].startswith("end_date: At most 8 days")
    assert refused["version"] == trip["version"] and refused["status"] == "approved"  # the trip as it stands
    assert _events(api, "application.change_requested") == []
    stands = api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}").json
    assert stands["form"] == trip["form"] and stands["version"] == trip["version"]

    waiting = _extend(api, trip, str(date.fromisoformat(trip["form"]["end_date"]) + timedelta(days=1)))
    second = _extend(api, trip, str(date.fromisoformat(trip["form"]["end_date"]) + timedelta(days=1)))
    rejected = _events(api, "application.change_rejected")
    assert [r["change"]["extension_id"] for r in rejected] == [refused_id, second]
    assert "already waiting for approval" in rejected[1]["comment"]
    listed = api.call("prof.li", "GET", f"/api/v1/applications/{trip['id']}/change-requests").json["items"]
    assert [c["status"] for c in listed] == ["rejected", "pending", "rejected"]
    _verdict(api, trip, listed[1]["version"], "rejected")  # the waiting one's verdict names its extension
    assert _events(api, "application.change_rejected")[-1]["change"]["extension_id"] == waiting


def test_a_kind_without_an_approval_document_is_extended_also_while_the_stay_is_under_way(api: Api) -> None:
    expert = _expert(api)
    today = datetime.now(UTC).date()
    with make_sessionmaker(api.engine)() as session, session.begin():  # as if the expert arrived a month ago
        row = session.get(Application, expert["id"])
        assert row is not None
        row.form = {**row.form, "start_date": str(today - timedelta(days=30)),
                    "end_date": str(today + timedelta(days=30))}
        row.submitted_at = datetime.now(UTC) - timedelta(days=90)
    end = str(today + timedelta(days=60))
    extension_id = _extend(api, expert, end, reason=None)
    [asked] = _events(api, "application.change_requested")
    assert asked["change"]["extension_id"] == extension_id and asked["change"]["reason"] == \
        f"The stay is extended to {end}."
    current = api.call("prof.li", "GET", f"/api/v1/applications/{expert['id']}").json
    _verdict(api, current, current["version"] + 1, "approved")
    [changed] = _events(api, "application.changed")
    assert changed["change"]["extension_id"] == extension_id and changed["mobility"]["end_date"] == end
    assert api.count("SELECT count(*) FROM approval_documents") == 0  # none to supersede


def test_a_student_exchange_has_no_end_to_move_and_an_unknown_application_is_ignored(api: Api) -> None:
    student = api.ready("alice", "student_exchange")
    submitted = api.submit("alice", student)
    assert submitted.status_code == 200, submitted.json
    _approve(api, submitted.json)
    extension_id = _extend(api, submitted.json, "2031-12-20")
    [refused] = _events(api, "application.change_rejected")
    assert refused["change"]["extension_id"] == extension_id and "no end date to move" in refused["comment"]

    _extend(api, {"id": str(uuid.uuid4()), "kind": "faculty_exchange"}, "2031-12-20")
    assert len(_events(api, "application.change_rejected")) == 1
