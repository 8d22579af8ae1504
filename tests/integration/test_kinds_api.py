"""GET /api/v1/kinds on PostgreSQL, and a kind registered at run time taken through create, edit, documents
and submit by the API alone."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.support import summer_school
from tests.support.service_api import Api

FIELD_KEYS = {"name", "widget", "required", "labels", "help", "choices", "min", "max", "max_length", "max_items",
              "fields"}


def test_every_signed_in_user_reads_the_kinds_and_nobody_else(api: Api) -> None:
    for user in ("alice", "admin"):
        r = api.call(user, "GET", "/api/v1/kinds")
        assert r.status_code == 200
        items = r.json["items"]
        assert [k["name"] for k in items] == ["faculty_exchange", "foreign_expert", "hosted_event",
                                              "student_exchange"]
    student = items[-1]
    assert student["labels"] == {"en": "Student exchange", "zh": "学生交流项目"}
    assert (student["filed_by"], student["needs_program"], student["max_days"]) == (["student"], True, None)
    assert student["documents"] == [
        {"type": "transcript", "required": True, "labels": {"en": "Transcript", "zh": "成绩单"}},
        {"type": "language_certificate", "required": True, "labels": {"en": "Language certificate",
                                                                        "zh": "语言成绩证明"}},
        {"type": "other", "required": False, "labels": {"en": "Other", "zh": "其他"}}]
    choices = student["fields"][0]
    assert set(choices) == FIELD_KEYS
    assert (choices["name"], choices["widget"], choices["required"], choices["max_items"]) == (
        "partner_choices", "partner_choices", True, 3)
    certificate = next(f for f in student["fields"] if f["name"] == "language_certificate")
    assert certificate["widget"] == "group" and [f["name"] for f in certificate["fields"]] == ["type", "score"]
    assert all(set(f) == FIELD_KEYS for f in certificate["fields"])
    anonymous = api.client.get("/api/v1/kinds")
    assert anonymous.status_code == 401


@pytest.fixture
def summer() -> Iterator[None]:
    with summer_school.registered():
        yield


def test_a_kind_registered_at_run_time_is_served_filed_and_submitted(summer: None, api: Api) -> None:
    assert "summer_school" in [k["name"] for k in api.call("alice", "GET", "/api/v1/kinds").json["items"]]
    spec = api.client.get("/openapi.json").json
    body = spec["paths"]["/api/v1/applications"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "summer_school" in body["discriminator"]["mapping"]

    new = {"kind": "summer_school", "program_id": None, "form": {**summer_school.FORM, "end_date": "2031-09-30"}}
    too_long = api.call("alice", "POST", "/api/v1/applications", json=new)
    assert too_long.status_code == 422 and "at most 42 days" in too_long.json["errors"]["end_date"][0]
    assert api.call("prof.li", "POST", "/api/v1/applications", json=new).status_code == 403

    draft = api.call("alice", "POST", "/api/v1/applications",
                     json={**new, "form": {"school_name": "Oxford Summer School"}})
    assert draft.status_code == 201, draft.json
    assert draft.json["titles"] == {"en": "Summer school: Oxford Summer School", "zh": "暑期学校：Oxford Summer School"}
    path = f"/api/v1/applications/{draft.json['id']}"
    edited = api.call("alice", "PATCH", path, version=1, json={"form": summer_school.FORM})
    assert edited.status_code == 200 and edited.json["version"] == 2
    missing = api.call("alice", "POST", f"{path}/submit", version=2)
    assert missing.status_code == 422 and "documents" in missing.json["errors"]
    assert api.upload("alice", draft.json["id"], "admission_letter").status_code == 201
    submitted = api.call("alice", "POST", f"{path}/submit", version=2)
    assert submitted.status_code == 200 and (submitted.json["status"], submitted.json["version"]) == ("submitted", 2)

    with api.engine.connect() as c:
        body = c.scalar(text("SELECT body FROM outbox WHERE type = 'application.submitted'"))
    event = json.loads(body)
    assert (event["data"]["kind"], event["data"]["version"], event["aggregateversion"]) == ("summer_school", 2, 3)
    assert event["data"]["mobility"]["duration_days"] == event["data"]["duration_days"] == 28
    assert event["data"]["mobility"]["region"] == "europe" and event["data"]["title"].startswith("Summer school")
