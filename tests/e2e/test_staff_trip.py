"""A staff group trip's life after filing, in both topologies: the chain approves it and its 任务批件 is numbered;
the public page verifies it; a change is re-approved from the level the chain names and supersedes the first
revision; a second change is rejected and the approved trip stands; a cancellation with a reason cancels the
document; the statistics count the group's people."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.test_review_chains import _decide, _status, _task
from tests.support import group_trip, wait
from tests.support.api import Gateway

GROUP = group_trip.body()
# The school's coordinator, then the office; a change goes straight to the office (its level is marked).
CHAIN = [{"role": "school_coordinator", "scope": "school", "days": 3},
         {"role": "icd_officer", "scope": "university", "days": 5, "changes": True}]


def _in_round(gw: Gateway, reviewer: str, application_id: str, round_: int) -> dict[str, Any]:
    def tasks() -> list[dict[str, Any]]:
        r = gw.call(reviewer, "GET", f"/api/v1/review-tasks?application_id={application_id}")
        return [t for t in r.json() if t["round"] == round_]
    return wait.until(tasks, what=f"round {round_}'s task")[0]  # type: ignore[no-any-return]


def _verify(gw: Gateway, url: str) -> str:
    path = "/" + url.split("/", 3)[3]  # the verification address, on this gateway
    r = gw.http.get(f"{gw.base_url}{path}", timeout=10)
    assert r.status_code == 200, r.text
    return r.text


def _approval(gw: Gateway, application_id: str, revision: int) -> dict[str, Any]:
    def current() -> dict[str, Any] | bool:
        r = gw.call("prof.li", "GET", f"/api/v1/applications/{application_id}/approval")
        return r.status_code == 200 and r.json()["revision"] == revision and r.json()
    return wait.until(current, what=f"revision {revision} of the approval document")  # type: ignore[no-any-return]



def _people_abroad(gw: Gateway) -> int:
    r = gw.call("icd.officer", "GET", "/api/v1/stats/summary")
    assert r.status_code == 200, r.text
    return int(r.json()["indicators"]["outbound_staff"])


def test_a_group_trip_is_numbered_verified_changed_and_cancelled(gateway: Gateway) -> None:
    put = gateway.call("admin", "PUT", "/api/v1/review-chains/faculty_exchange", {"levels": CHAIN})
    assert put.status_code in (200, 201), put.text
    staff_before = _people_abroad(gateway)

    created = gateway.call("prof.li", "POST", "/api/v1/applications", GROUP)
    assert created.status_code == 201, created.text
    application = created.json()
    assert gateway.upload("prof.li", application["id"], "invitation_letter").status_code == 201
    assert gateway.submit("prof.li", application["id"]).status_code == 200
    for level, reviewer in ((1, "coord.cs"), (2, "icd.officer")):
        _decide(gateway, reviewer, _task(gateway, reviewer, application["id"], level))
    _status(gateway, "prof.li", application["id"], "approved")

    first = _approval(gateway, application["id"], 1)
    assert re.fullmatch(r".+〔\d{4}〕\d+号", first["number"]) and first["status"] == "valid"
    page = _verify(gateway, first["verify_url"])
    assert first["number"] in page and "李伟" in page and "王芳" in page
    wait.until(lambda: _people_abroad(gateway) == staff_before + 3, what="the group's three people counted")

    # A day later, every stop: re-approved by the office alone (the level marked for changes).
    approved = gateway.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json()
    later = group_trip.shifted(approved["form"], 1)
    r = gateway.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/change-requests",
                     {"form": later, "reason": "The host moved the workshop a day later."},
                     headers={"If-Match": f'"{approved["version"]}"'})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["version"] == approved["version"] + 1
    again = gateway.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/change-requests",
                         {"form": later, "reason": "Twice."}, headers={"If-Match": f'"{approved["version"]}"'})
    assert again.status_code == 409, again.text  # one change at a time
    task = _task(gateway, "icd.officer", application["id"], 2)
    assert task["application_version"] == approved["version"] + 1 and task["round"] == 2
    _decide(gateway, "icd.officer", task)

    second = _approval(gateway, application["id"], 2)
    assert second["number"] == first["number"] and second["status"] == "valid"
    changed = gateway.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json()
    assert changed["form"]["start_date"] == later["start_date"] and changed["status"] == "approved"
    assert "superseded" in _verify(gateway, first["verify_url"]).lower()

    def told() -> list[str]:
        items = gateway.call("prof.li", "GET", "/api/v1/notifications").json()["items"]
        return [n["event_type"] for n in items if application["id"] in (n.get("link") or "")]
    wait.until(lambda: "application.changed" in told(), what="prof.li told of the approved change")

    # A change the office turns down: the approved trip and its document stand.
    r = gateway.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/change-requests",
                     {"form": group_trip.shifted(changed["form"], 2), "reason": "A second city."},
                     headers={"If-Match": f'"{changed["version"]}"'})
    assert r.status_code == 201, r.text
    _decide(gateway, "icd.officer", _in_round(gateway, "icd.officer", application["id"], 3), outcome="reject",
            comment="Not with this budget.")

    def rejected() -> bool:
        changes = gateway.call("prof.li", "GET", f"/api/v1/applications/{application['id']}/change-requests")
        return [c["status"] for c in changes.json()["items"]] == ["approved", "rejected"]
    wait.until(rejected, what="the second change rejected")
    stands = gateway.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json()
    assert stands["form"]["start_date"] == later["start_date"] and stands["version"] == changed["version"]
    assert _approval(gateway, application["id"], 2)["status"] == "valid"

    # A third change after the one turned down still reaches the office; the trip is cancelled while it waits.
    r = gateway.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/change-requests",
                     {"form": group_trip.shifted(changed["form"], 3), "reason": "The host asks for three days later."},
                     headers={"If-Match": f'"{stands["version"]}"'})
    assert r.status_code == 201, r.text
    waiting = _in_round(gateway, "icd.officer", application["id"], 4)
    assert waiting["application_version"] == r.json()["version"] == stands["version"] + 2  # a version of its own

    no_reason = gateway.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/cancel",
                             {"reason": " "}, headers={"If-Match": f'"{stands["version"]}"'})
    assert no_reason.status_code == 422, no_reason.text
    cancelled = gateway.call("prof.li", "POST", f"/api/v1/applications/{application['id']}/cancel",
                             {"reason": "The conference was called off."},
                             headers={"If-Match": f'"{stands["version"]}"'})
    assert cancelled.status_code == 200, cancelled.text
    assert _approval(gateway, application["id"], 2)["status"] == "cancelled"
    assert "cancelled" in _verify(gateway, second["verify_url"]).lower()
    changes = gateway.call("prof.li", "GET", f"/api/v1/applications/{application['id']}/change-requests").json()
    assert [c["status"] for c in changes["items"]] == ["approved", "rejected", "cancelled"]

    def open_for_office() -> list[dict[str, Any]]:
        tasks = gateway.call("icd.officer", "GET", f"/api/v1/review-tasks?application_id={application['id']}").json()
        return [t for t in tasks if t["status"] in ("open", "claimed")]
    wait.until(lambda: not open_for_office(), what="the waiting change's task closed with the trip")
