"""The applications service on PostgreSQL: kinds and their rules, versions, windows, access, documents."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.applications import kinds
from services.applications.demo import demo_id
from tests.support.api import PDF, example
from tests.support.service_api import FILERS, Api

# -- kinds ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", kinds.names())
def test_a_valid_application_of_each_kind_submits_with_its_event(api: Api, kind: str) -> None:
    application = api.ready(FILERS[kind], kind)
    r = api.submit(FILERS[kind], application)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "submitted" and r.json["version"] == 1  # a status change keeps the version
    assert r.headers["ETag"] == '"1"'
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 1


today = date.today()
BAD_INPUT = [
    ("student_exchange", {"partner_choices": [demo_id("partner", "nus")]}, "partner_choices"),  # not in program
    ("student_exchange", {"partner_choices": [demo_id("partner", "tu-berlin")] * 2}, "partner_choices"),
    ("student_exchange", {"partner_choices": []}, "partner_choices"),
    ("student_exchange", {"gpa": "4.5"}, "gpa"),
    ("student_exchange", {"term": "next year"}, "term"),
    ("student_exchange", {"language_certificate": {"type": "IELTS", "score": "-1"}}, "language_certificate"),
    ("faculty_exchange", {"start_date": str(today - timedelta(days=1))}, "start_date"),
    ("faculty_exchange", {"end_date": "2031-02-01"}, "end_date"),  # before the start
    ("faculty_exchange", {"end_date": "2032-06-01"}, "end_date"),  # longer than a year
    ("faculty_exchange", {"budget": "-5"}, "budget"),
    ("faculty_exchange", {"purpose": "holiday"}, "purpose"),
    ("faculty_exchange", {"destination_country": "Germany"}, "destination_country"),
    ("foreign_expert", {"end_date": "2034-01-01"}, "end_date"),  # longer than two years
    ("foreign_expert", {"nationality": "it"}, "nationality"),
    ("hosted_event", {"end_date": "2031-07-01"}, "end_date"),  # longer than 30 days
    ("hosted_event", {"delegation_size": 0}, "delegation_size"),
    ("hosted_event", {"countries": []}, "countries"),
]


@pytest.mark.parametrize(("kind", "change", "field"), BAD_INPUT)
def test_each_rule_rejects_its_bad_input_field_by_field_and_stores_nothing(
    api: Api, kind: str, change: dict[str, Any], field: str
) -> None:
    r = api.create(FILERS[kind], kind, **change)
    assert r.status_code == 422
    assert r.headers["Content-Type"] == "application/problem+json"
    assert field in r.json["errors"], r.json
    assert api.count("SELECT count(*) FROM applications") == 0


def test_all_errors_come_back_at_once(api: Api) -> None:
    r = api.create("prof.li", "faculty_exchange", budget="-1", purpose="holiday", start_date="2020-01-01",
                   unexpected="x")
    assert r.status_code == 422
    assert {"budget", "purpose", "start_date", "unexpected"} <= set(r.json["errors"])


def test_a_draft_may_be_incomplete_but_submit_wants_everything(api: Api) -> None:
    body = {"kind": "faculty_exchange", "program_id": None, "form": {"destination_country": "DE"}}
    draft = api.call("prof.li", "POST", "/api/v1/applications", json=body)
    assert draft.status_code == 201  # work is never lost for being unfinished
    r = api.submit("prof.li", draft.json)
    assert r.status_code == 422
    assert {"destination_institution", "purpose", "start_date", "end_date", "budget", "documents"} <= set(
        r.json["errors"])
    assert api.count("SELECT count(*) FROM outbox WHERE type LIKE 'application.%'") == 0


def test_server_owned_fields_in_a_body_are_refused(api: Api) -> None:
    body = {**example("faculty_exchange"), "status": "approved", "applicant": "someone", "version": 9}
    r = api.call("prof.li", "POST", "/api/v1/applications", json=body)
    assert r.status_code == 422 and {"status", "applicant", "version"} <= set(r.json["errors"])
    assert api.count("SELECT count(*) FROM applications") == 0


def test_only_the_right_people_file_each_kind(api: Api) -> None:
    assert api.create("alice", "faculty_exchange").status_code == 403
    assert api.create("prof.li", "student_exchange").status_code == 403
    assert api.create("alice", "hosted_event").status_code == 403


# -- versions, windows, lifecycle ----------------------------------------------------------------------

def test_changes_must_name_the_current_version(api: Api) -> None:
    a = api.draft("prof.li", "faculty_exchange")
    path = f"/api/v1/applications/{a['id']}"
    assert api.call("prof.li", "PATCH", path, json={"form": {"budget": "100"}}).status_code == 409  # no version
    ok = api.call("prof.li", "PATCH", path, version=1, json={"form": {"budget": "100"}})
    assert ok.status_code == 200 and ok.json["version"] == 2 and ok.json["form"]["budget"] == "100.00"
    stale = api.call("prof.li", "PATCH", path, version=1, json={"form": {"budget": "999"}})
    assert stale.status_code == 409 and "version 1" in stale.json["detail"]
    by_field = api.call("prof.li", "PATCH", path, json={"form": {"budget": "200"}, "version": 2})
    assert by_field.status_code == 200
    assert api.call("prof.li", "GET", path).json["form"]["budget"] == "200.00"


def test_a_closed_window_refuses_submission(api: Api) -> None:
    body = example("student_exchange")
    body["program_id"] = demo_id("program", "waterloo-coop-2024")
    body["form"]["partner_choices"] = [demo_id("partner", "uw")]
    draft = api.call("alice", "POST", "/api/v1/applications", json=body).json
    for doc_type in kinds.get("student_exchange").required_documents:
        api.upload("alice", draft["id"], doc_type)
    r = api.submit("alice", draft)
    assert r.status_code == 409 and "closed on 2024-03-01" in r.json["detail"]
    assert api.count("SELECT count(*) FROM outbox WHERE type LIKE 'application.%'") == 0


def test_no_editing_after_submit_and_withdrawal_is_final(api: Api) -> None:
    a = api.ready("prof.li", "faculty_exchange")
    submitted = api.submit("prof.li", a).json
    path = f"/api/v1/applications/{a['id']}"
    edit = api.call("prof.li", "PATCH", path, version=submitted["version"], json={"form": {"budget": "1"}})
    assert edit.status_code == 409 and "cannot be edited" in edit.json["detail"]
    assert api.upload("prof.li", a["id"], "other").status_code == 409
    withdrawn = api.call("prof.li", "POST", f"{path}/withdraw", version=submitted["version"],
                         json={"comment": "The conference was cancelled."})
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    again = api.call("prof.li", "POST", f"{path}/withdraw", version=withdrawn.json["version"])
    assert again.status_code == 409
    history = api.call("prof.li", "GET", f"{path}/history").json
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "withdrawn")]
    assert history[-1]["comment"] == "The conference was cancelled." and history[-1]["actor"] == "prof.li"
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.withdrawn'") == 1


def test_concurrent_submits_of_one_draft_make_one_event(api: Api) -> None:
    a = api.ready("prof.li", "faculty_exchange")
    statuses: list[int] = []
    start = threading.Barrier(4)

    def submit() -> None:
        start.wait()
        statuses.append(api.submit("prof.li", a, version=a["version"]).status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert api.count("SELECT count(*) FROM outbox WHERE type LIKE 'application.%'") == 1


# -- access --------------------------------------------------------------------------------------------

def test_bob_cannot_read_edit_withdraw_or_download_alices_application(api: Api) -> None:
    a = api.ready("alice", "student_exchange")
    doc = api.call("alice", "GET", f"/api/v1/applications/{a['id']}/documents").json[0]
    path = f"/api/v1/applications/{a['id']}"
    assert api.call("bob", "GET", path).status_code == 404
    assert api.call("bob", "PATCH", path, version=1, json={"form": {"gpa": "1.0"}}).status_code == 404
    assert api.call("bob", "POST", f"{path}/withdraw", version=1).status_code == 404
    assert api.call("bob", "POST", f"{path}/submit", version=1).status_code == 404
    assert api.call("bob", "GET", f"{path}/history").status_code == 404
    assert api.call("bob", "GET", f"{path}/documents").status_code == 404
    assert api.call("bob", "GET", f"{path}/documents/{doc['id']}").status_code == 404
    assert api.upload("bob", a["id"], "other").status_code == 404
    assert api.call("bob", "GET", "/api/v1/applications").json["items"] == []
    assert api.call("alice", "GET", path).json["version"] == 1  # nothing changed


def test_reviewers_see_submitted_applications_of_their_scope_only(api: Api) -> None:
    a = api.ready("alice", "student_exchange")
    path = f"/api/v1/applications/{a['id']}"
    assert api.call("coord.cs", "GET", path).status_code == 404  # a draft is the applicant's alone
    api.submit("alice", a)
    assert api.call("coord.cs", "GET", path).status_code == 200
    assert api.call("icd.officer", "GET", path).status_code == 200
    assert api.call("coord.me", "GET", path).status_code == 404
    assert api.call("coord.me", "GET", "/api/v1/applications?view=review").json["items"] == []
    assert [i["id"] for i in api.call("coord.cs", "GET", "/api/v1/applications?view=review").json["items"]] == [a["id"]]
    doc = api.call("coord.cs", "GET", f"{path}/documents").json[0]
    assert api.call("coord.cs", "GET", f"{path}/documents/{doc['id']}").status_code == 200
    assert api.call("coord.me", "GET", f"{path}/documents/{doc['id']}").status_code == 404
    assert api.call("coord.cs", "PATCH", path, version=2, json={"form": {}}).status_code == 403
    assert api.call("alice", "GET", "/api/v1/applications?view=review").status_code == 403


def test_review_listing_filters_and_pages_by_keyset(api: Api) -> None:
    ids = []
    for _ in range(5):
        a = api.ready("alice", "student_exchange")
        api.submit("alice", a)
        ids.append(a["id"])
    seen, cursor = [], None
    while True:
        query = "/api/v1/applications?view=review&kind=student_exchange&limit=2"
        query += f"&cursor={cursor}" if cursor else ""
        page = api.call("icd.officer", "GET", query).json
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    modified = api.call("icd.officer", "GET", f"/api/v1/applications?view=review&modified_since={later}")
    assert modified.json["items"] == []
    assert api.call("icd.officer", "GET", "/api/v1/applications?view=review&status=approved").json["items"] == []


# -- documents -----------------------------------------------------------------------------------------

def test_uploads_are_judged_by_content_and_capped(api: Api) -> None:
    a = api.draft("prof.li", "faculty_exchange")
    html = b"<!doctype html><html><script>alert(1)</script></html>"
    assert api.upload("prof.li", a["id"], "invitation_letter", html, "letter.pdf").status_code == 415
    for size in (10 * 1024 * 1024 + 1, 11 * 1024 * 1024):  # just over the file cap; over the request cap
        big = PDF + b"0" * (size - len(PDF))
        r = api.upload("prof.li", a["id"], "invitation_letter", big, "big.pdf")
        assert r.status_code == 413 and r.headers["Content-Type"] == "application/problem+json"
    assert api.upload("prof.li", a["id"], "passport", PDF).status_code == 422  # not a type of this kind
    assert api.count("SELECT count(*) FROM documents") == 0


def test_path_like_names_are_stored_safely_and_served_as_attachments(api: Api, tmp_path: Path) -> None:
    a = api.draft("prof.li", "faculty_exchange")
    r = api.upload("prof.li", a["id"], "invitation_letter", PDF, "../../etc/passwd\x00.pdf")
    assert r.status_code == 201
    doc = r.json
    assert doc["filename"] == "passwd.pdf" and doc["content_type"] == "application/pdf"
    assert len(doc["sha256"]) == 64 and doc["size"] == len(PDF)
    stored = list((tmp_path / "documents").iterdir())
    assert [p.name for p in stored] == [doc["id"]]  # under its generated id, nowhere else
    download = api.call("prof.li", "GET", f"/api/v1/applications/{a['id']}/documents/{doc['id']}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_an_application_holds_a_limited_number_of_documents(api: Api) -> None:
    a = api.draft("prof.li", "faculty_exchange")
    for _ in range(4):
        assert api.upload("prof.li", a["id"], "other").status_code == 201
    assert api.upload("prof.li", a["id"], "other").status_code == 409


def test_a_wrong_upload_can_be_removed_while_editable_and_only_by_the_applicant(api: Api, tmp_path: Path) -> None:
    a = api.draft("prof.li", "faculty_exchange")
    doc = api.upload("prof.li", a["id"], "other").json
    path = f"/api/v1/applications/{a['id']}/documents/{doc['id']}"
    assert api.call("bob", "DELETE", path).status_code == 404
    assert api.call("prof.li", "DELETE", path).status_code == 204
    assert api.call("prof.li", "GET", path).status_code == 404
    assert not (tmp_path / "documents" / doc["id"]).exists()
    kept = api.upload("prof.li", a["id"], "invitation_letter").json
    submitted = api.submit("prof.li", api.call("prof.li", "GET", f"/api/v1/applications/{a['id']}").json)
    assert submitted.status_code == 200
    late = api.call("prof.li", "DELETE", f"/api/v1/applications/{a['id']}/documents/{kept['id']}")
    assert late.status_code == 409
