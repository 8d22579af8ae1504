"""Reviewer pages and the start page on the embedded system: who holds a task and who may decide, a late
decision refused in words with the comment kept, a reject confirmed first, what changed in round 2, the queue's
search and overdue filter, the submissions API by user, and what needs each user now."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text

from mobility.embedded import Embedded
from tests.integration import test_web_pages
from tests.integration.test_web_pages import alices_application, browser, csrf_of, token_for
from tests.support.api import PDF
from tests.support.wait import until

system = test_web_pages.system  # the embedded system fixture: one for this module too


def _api(system: Embedded, user: str) -> tuple[FlaskClient, dict[str, str]]:
    client = system.gateway.test_client()
    return client, {"Authorization": f"Bearer {token_for(client, user)}"}


def submitted(system: Embedded) -> str:
    application_id = alices_application(system, with_documents=True)
    client, headers = _api(system, "alice")
    reply = client.post(f"/api/v1/applications/{application_id}/submit", headers=headers, json={"version": 1})
    assert reply.status_code == 200, reply.get_json()
    return application_id


def task_of(system: Embedded, application_id: str, round_: int = 1) -> str:
    found: list[str] = []

    def listed() -> bool:
        with system.engines["reviews"].connect() as db:
            found[:] = db.execute(text("select id from review_tasks where application_id = :a and round = :r"
                                       " and status in ('open', 'claimed')"),
                                  {"a": application_id, "r": round_}).scalars().all()
        return bool(found)

    until(listed, what=f"the round {round_} task")
    return found[0]


def decide(client: FlaskClient, task_id: str, **fields: str) -> Any:
    page = client.get(f"/tasks/{task_id}")
    version = re.search(r'name="application_version" value="(\d+)"', page.text)
    assert version, "no decision form"
    return client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_of(page.text), "application_version":
                                                  version.group(1), "internal_note": "", **fields})


def test_a_late_decision_is_refused_in_words_and_the_comment_stays(system: Embedded) -> None:
    task_id = task_of(system, submitted(system))
    coord, admin = browser(system, "coord.cs"), browser(system, "admin")
    early, late = coord.get(f"/tasks/{task_id}"), admin.get(f"/tasks/{task_id}")
    assert 'id="decide"' in early.text and 'id="decide"' in late.text  # unclaimed: both may decide
    assert "Nobody has claimed this task yet." in late.text
    assert decide(coord, task_id, outcome="approve", comment="").status_code == 302
    version = re.search(r'name="application_version" value="(\d+)"', late.text).group(1)  # type: ignore[union-attr]
    refused = admin.post(f"/tasks/{task_id}", data={
        "csrf_token": csrf_of(late.text), "application_version": version, "outcome": "return",
        "comment": "Please add the IELTS report.", "internal_note": ""})
    assert refused.status_code == 409
    assert "Already decided by CS Foreign Affairs Coordinator at" in refused.text
    assert "your decision was not recorded" in refused.text
    assert "Please add the IELTS report.</textarea>" in refused.text
    assert 'data-holder="coord.cs"' in refused.text


def test_the_reviews_api_says_who_decided_first(system: Embedded) -> None:
    application_id = submitted(system)
    task_id = task_of(system, application_id)
    client, coord = _api(system, "coord.cs")
    _, admin = _api(system, "admin")
    body = {"outcome": "approve", "application_version": 1}
    assert client.post(f"/api/v1/review-tasks/{task_id}/decision", json=body, headers=coord).status_code == 201
    late = client.post(f"/api/v1/review-tasks/{task_id}/decision", json=body, headers=admin)
    assert late.status_code == 409 and late.mimetype == "application/problem+json"
    problem = late.get_json()
    assert problem["decided_by"] == "coord.cs" and problem["decided_at"]
    assert "decided already, by coord.cs at" in problem["detail"] and "not recorded" in problem["detail"]


def test_a_task_claimed_by_someone_else_offers_neither_claim_nor_decision(system: Embedded) -> None:
    task_id = task_of(system, submitted(system))
    client, coord = _api(system, "coord.cs")
    _, admin = _api(system, "admin")
    assert client.get(f"/api/v1/review-tasks/{task_id}", headers=coord).get_json()["may_claim"] is True
    assert client.post(f"/api/v1/review-tasks/{task_id}/claim", headers=coord).status_code == 200
    mine = client.get(f"/api/v1/review-tasks/{task_id}", headers=coord).get_json()
    theirs = client.get(f"/api/v1/review-tasks/{task_id}", headers=admin).get_json()
    assert (mine["may_decide"], mine["may_claim"]) == (True, False)
    assert (theirs["may_decide"], theirs["may_claim"]) == (False, False)
    page = browser(system, "admin").get(f"/tasks/{task_id}")
    assert "Claimed by CS Foreign Affairs Coordinator since " in page.text and mine["claimed_at"]
    assert 'id="decide"' not in page.text and ">Claim</button>" not in page.text
    assert "您已认领此任务。" in browser(system, "coord.cs").get(f"/tasks/{task_id}").text  # coord.cs reads Chinese


def test_a_reject_is_confirmed_first_and_going_back_keeps_the_comment(system: Embedded) -> None:
    application_id = submitted(system)
    task_id = task_of(system, application_id)
    coord = browser(system, "coord.cs")
    asked = decide(coord, task_id, outcome="reject", comment="Not eligible this year.")
    assert asked.status_code == 200 and 'id="confirm-reject"' in asked.text and "Not eligible this year." in asked.text
    fields = {"csrf_token": csrf_of(asked.text), "outcome": "reject", "comment": "Not eligible this year.",
              "internal_note": "", "application_version": "1"}
    back = coord.post(f"/tasks/{task_id}", data={**fields, "confirmed": "no"})
    assert back.status_code == 200 and "Not eligible this year.</textarea>" in back.text
    with system.engines["reviews"].connect() as db:
        assert db.execute(text("select status from review_tasks where id = :t"), {"t": task_id}).scalar() == "open"
    assert coord.post(f"/tasks/{task_id}", data={**fields, "confirmed": "yes"}).status_code == 302
    with system.engines["reviews"].connect() as db:
        assert db.execute(text("select outcome from review_tasks where id = :t"), {"t": task_id}).scalar() == "rejected"


def test_round_two_shows_the_changed_field_and_the_added_document(system: Embedded) -> None:
    application_id = submitted(system)
    coord = browser(system, "coord.cs")
    first = task_of(system, application_id)
    assert 'id="changes"' not in coord.get(f"/tasks/{first}").text  # round 1: nothing to compare
    assert decide(coord, first, outcome="return", comment="Your GPA looks wrong.").status_code == 302
    client, alice = _api(system, "alice")
    path = f"/api/v1/applications/{application_id}"
    until(lambda: client.get(path, headers=alice).get_json()["status"] == "changes_requested", what="the return")
    version = client.get(path, headers=alice).get_json()["version"]
    edited = client.patch(path, headers=alice, json={"version": version, "form": {"gpa": "3.91"}})
    assert edited.status_code == 200, edited.get_json()
    assert client.post(f"{path}/documents", headers=alice, data={
        "doc_type": "transcript", "file": (io.BytesIO(PDF), "transcript-corrected.pdf")}).status_code == 201
    resubmitted = client.post(f"{path}/submit", headers=alice, json={"version": edited.get_json()["version"]})
    assert resubmitted.status_code == 200
    second = task_of(system, application_id, round_=2)
    page = coord.get(f"/tasks/{second}")
    changes = re.search(r'<section class="card changes" id="changes">.*?</section>', page.text, re.S)
    assert changes, "no change view in round 2"
    # coord.cs reads Chinese (the account's language): the kind's own labels in it
    gpa = r"GPA（0–4）</th><td[^>]*><del>3.62</del></td><td[^>]*><ins>3.91</ins>"
    assert re.search(gpa, changes.group(0)), changes.group(0)
    assert "成绩单: transcript-corrected.pdf" in changes.group(0)
    assert changes.group(0).count("data-changed-field") == 1  # unchanged fields are not listed


def test_submissions_are_read_by_the_applicant_and_reviewers_in_scope_only(system: Embedded) -> None:
    application_id = submitted(system)
    path = f"/api/v1/applications/{application_id}/submissions"
    client, alice = _api(system, "alice")
    mine = client.get(path, headers=alice)
    assert mine.status_code == 200
    [snapshot] = mine.get_json()
    assert snapshot["version"] == 1 and snapshot["form"]["gpa"] == "3.62"
    assert sorted(d["doc_type"] for d in snapshot["documents"]) == ["language_certificate", "transcript"]
    assert client.get(path, headers=_api(system, "coord.cs")[1]).status_code == 200
    assert client.get(path, headers=_api(system, "bob")[1]).status_code == 404  # another student
    assert client.get(path, headers=_api(system, "coord.me")[1]).status_code == 404  # another school


def test_the_queue_searches_by_name_and_filters_overdue(system: Embedded) -> None:
    application_id = submitted(system)
    task_id = task_of(system, application_id)
    coord = browser(system, "coord.cs")  # reads Chinese: the school by its Chinese name
    row = f'data-task="{task_id}"'
    listed = coord.get("/queue")
    assert row in listed.text and "Alice Wang" in listed.text and "计算机学院" in listed.text
    assert row in coord.get("/queue?q=alice+w").text
    assert row in coord.get("/queue?q=alice").text  # the username too
    assert row not in coord.get("/queue?q=Nobody+Such").text
    assert row not in coord.get("/queue?overdue=true").text
    with system.engines["reviews"].begin() as db:
        db.execute(text("update review_tasks set due_at = :past where id = :id"),
                   {"past": datetime.now(UTC) - timedelta(days=2), "id": task_id})
    overdue = coord.get("/queue?overdue=true&q=Alice")
    assert row in overdue.text and "data-overdue" in overdue.text
    assert row not in coord.get("/queue?overdue=false").text
    client, headers = _api(system, "coord.cs")
    assert client.get("/api/v1/review-tasks?overdue=maybe", headers=headers).status_code == 422

    start = coord.get("/", follow_redirects=True)
    assert start.request.path == "/home"
    overdue_part = re.search(r'id="overdue-tasks">.*?</section>', start.text, re.S).group(0)  # type: ignore[union-attr]
    assert row in overdue_part and f"/tasks/{task_id}" in overdue_part


def test_the_start_page_shows_an_applicant_what_was_returned_and_unread_notices(system: Embedded) -> None:
    application_id = submitted(system)
    task_id = task_of(system, application_id)
    assert decide(browser(system, "coord.cs"), task_id, outcome="return", comment="Add details.").status_code == 302
    alice = browser(system, "alice")

    def returned() -> bool:
        page = alice.get("/home").text
        return f'data-application="{application_id}"' in re.search(  # type: ignore[union-attr]
            r'id="returned">.*?</section>', page, re.S).group(0)

    until(returned, what="the returned application on the start page")
    page = alice.get("/home")
    assert f"/applications/{application_id}" in page.text
    assert 'id="overdue-tasks"' not in page.text  # not a reviewer
    assert "data-notice=" in re.search(r'id="unread-notices">.*?</section>', page.text, re.S).group(0)  # type: ignore[union-attr]
