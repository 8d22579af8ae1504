"""Each kind's default review chain walked through by the demo reviewers, across all services, in both
topologies: the application ends approved in the applications service."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import wait
from tests.support.api import Gateway

CHAINS = {
    "student_exchange": ("alice", ["coord.cs", "dean.cs", "icd.officer"]),
    "faculty_exchange": ("prof.li", ["coord.cs", "dean.cs", "icd.officer"]),
    "foreign_expert": ("prof.li", ["dean.cs", "icd.officer", "vp.fa"]),
    "hosted_event": ("coord.cs", ["dean.cs", "icd.officer"]),
}


def _task(gw: Gateway, reviewer: str, application_id: str, level: int) -> dict[str, Any]:
    def mine() -> list[dict[str, Any]]:
        r = gw.call(reviewer, "GET", f"/api/v1/review-tasks?application_id={application_id}")
        assert r.status_code == 200, r.text
        return [t for t in r.json() if t["level"] == level]

    return wait.until(mine, what=f"level {level} task for {reviewer}")[0]


def _decide(gw: Gateway, reviewer: str, task: dict[str, Any], outcome: str = "approve", comment: str = "OK") -> None:
    r = gw.call(reviewer, "POST", f"/api/v1/review-tasks/{task['id']}/decision",
                {"outcome": outcome, "comment": comment, "application_version": task["application_version"]})
    assert r.status_code == 201, r.text


def _status(gw: Gateway, user: str, application_id: str, status: str) -> dict[str, Any]:
    return wait.until(
        lambda: (a := gw.call(user, "GET", f"/api/v1/applications/{application_id}").json())["status"] == status and a,
        what=f"application {status}",
    )


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_each_kinds_default_chain_ends_approved(gateway: Gateway, kind: str) -> None:
    applicant, reviewers = CHAINS[kind]
    application = gateway.apply_and_submit(applicant, kind)
    for level, reviewer in enumerate(reviewers, start=1):
        _decide(gateway, reviewer, _task(gateway, reviewer, application["id"], level))
    _status(gateway, applicant, application["id"], "approved")
    log = gateway.call(applicant, "GET", f"/api/v1/applications/{application['id']}/reviews").json()
    assert [d["reviewer"] for d in log] == reviewers


def test_a_long_trip_also_goes_to_the_vice_president(gateway: Gateway) -> None:
    application = gateway.apply_and_submit("prof.li", "faculty_exchange", end_date="2031-04-30")  # 61 days
    for level, reviewer in enumerate(["coord.cs", "dean.cs", "icd.officer"], start=1):
        _decide(gateway, reviewer, _task(gateway, reviewer, application["id"], level))
    _decide(gateway, "vp.fa", _task(gateway, "vp.fa", application["id"], 4))
    _status(gateway, "prof.li", application["id"], "approved")


def test_return_edit_resubmit_restarts_at_the_returning_level(gateway: Gateway) -> None:
    application = gateway.apply_and_submit("prof.li", "faculty_exchange")
    _decide(gateway, "coord.cs", _task(gateway, "coord.cs", application["id"], 1))
    _decide(gateway, "dean.cs", _task(gateway, "dean.cs", application["id"], 2), "return", "Split the budget.")
    returned = _status(gateway, "prof.li", application["id"], "changes_requested")
    path = f"/api/v1/applications/{application['id']}"
    edited = gateway.call("prof.li", "PATCH", path, {"form": {"budget": "30000.00"}},
                          headers={"If-Match": f'"{returned["version"]}"'})
    assert edited.status_code == 200, edited.text
    assert gateway.submit("prof.li", application["id"], edited.json()["version"]).status_code == 200
    task = _task(gateway, "dean.cs", application["id"], 2)
    assert task["round"] == 2 and task["application_version"] == edited.json()["version"]  # submitting moves no version
    assert gateway.call("coord.cs", "GET", f"/api/v1/review-tasks?application_id={application['id']}").json() == []
    _decide(gateway, "dean.cs", task)
    _decide(gateway, "icd.officer", _task(gateway, "icd.officer", application["id"], 3))
    _status(gateway, "prof.li", application["id"], "approved")
