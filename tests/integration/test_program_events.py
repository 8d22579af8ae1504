"""What applications tells placements, on PostgreSQL: every program as it stands (program.saved, written in the
transaction that creates or changes it, and again by `mobility programs announce`), and a student exchange's
selection facts (choices, GPA, language, term) on its application events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import text

from chassis.db import make_sessionmaker
from eventbus import catalog, envelope
from eventbus.consumer import apply
from mobility.cli import main
from services.applications.demo import PROGRAMS, demo_id
from services.applications.handlers import HANDLERS
from tests.support.service_api import Api

TU_BERLIN, POLIMI = demo_id("partner", "tu-berlin"), demo_id("partner", "polimi")


def _saved(api: Api, program_id: str | None = None) -> list[dict[str, Any]]:
    """The program.saved events in the outbox, oldest first (of one program, where named)."""
    with api.engine.connect() as c:
        bodies = c.scalars(text("SELECT body FROM outbox WHERE type = 'program.saved' ORDER BY id")).all()
    events = [json.loads(body) for body in bodies]
    return [e for e in events if program_id is None or e["subject"] == program_id]


def _valid(event: dict[str, Any]) -> dict[str, Any]:
    catalog.validate(event["type"], event["data"])
    return event["data"]  # type: ignore[no-any-return]


def test_the_demo_programs_are_announced_as_they_are_created(api: Api) -> None:
    events = _saved(api)
    assert sorted(e["data"]["code"] for e in events) == sorted(PROGRAMS)
    europe = next(_valid(e) for e in events if e["data"]["code"] == "europe-engineering-2031")
    assert europe["program_id"] == demo_id("program", "europe-engineering-2031") and europe["seats"] == 12
    assert [(p["name"], p["country"], p["region"]) for p in europe["partners"]] == [
        ("Politecnico di Milano", "IT", "europe"), ("Technische Universität Berlin", "DE", "europe")]
    assert {e["aggregateversion"] for e in events} == {1}


def test_creating_and_changing_a_program_announce_it_once_each_with_a_rising_revision(api: Api) -> None:
    created = api.call("icd.officer", "POST", "/api/v1/programs", json={
        "code": "berlin-2032", "name": "Berlin Semester 2032", "kind": "student_exchange", "seats": 3,
        "opens_at": "2031-01-01T00:00:00+00:00", "closes_at": "2031-03-01T00:00:00+00:00",
        "partner_ids": [TU_BERLIN]})
    assert created.status_code == 201, created.json
    program_id = created.json["id"]
    [first] = _saved(api, program_id)
    assert first["aggregateversion"] == 1 and first["source"] == "/services/applications"
    assert _valid(first) == {
        "program_id": program_id, "code": "berlin-2032", "name": "Berlin Semester 2032", "kind": "student_exchange",
        "seats": 3, "opens_at": "2031-01-01T00:00:00+00:00", "closes_at": "2031-03-01T00:00:00+00:00",
        "partners": [{"partner_id": TU_BERLIN, "name": "Technische Universität Berlin", "country": "DE",
                      "region": "europe"}]}

    edited = api.call("icd.officer", "PATCH", f"/api/v1/programs/{program_id}",
                      json={"seats": 5, "partner_ids": [TU_BERLIN, POLIMI]})
    assert edited.status_code == 200, edited.json
    refused = api.call("icd.officer", "PATCH", f"/api/v1/programs/{program_id}",
                       json={"closes_at": "2030-01-01T00:00:00+00:00"})
    assert refused.status_code == 422  # rolled back: nothing announced
    first_again, second = _saved(api, program_id)
    assert first_again["id"] == first["id"] and second["aggregateversion"] == 2
    data = _valid(second)
    assert data["seats"] == 5 and [p["partner_id"] for p in data["partners"]] == [POLIMI, TU_BERLIN]


def test_a_partners_rename_announces_the_programs_that_name_it(api: Api) -> None:
    before = {e["subject"]: e["aggregateversion"] for e in _saved(api)}
    renamed = api.call("icd.officer", "PATCH", f"/api/v1/partners/{TU_BERLIN}", json={"name": "TU Berlin"})
    assert renamed.status_code == 200, renamed.json
    latest = _saved(api)[len(before):]
    assert [e["subject"] for e in latest] == [demo_id("program", "europe-engineering-2031")]
    assert latest[0]["aggregateversion"] == before[latest[0]["subject"]] + 1
    assert "TU Berlin" in [p["name"] for p in _valid(latest[0])["partners"]]


def test_programs_announce_sends_every_program_again_at_its_revision(api: Api, pg_urls: dict[str, str],
                                                                     tmp_path: Path) -> None:
    edited = api.call("icd.officer", "PATCH", f"/api/v1/programs/{demo_id('program', 'asia-belt-road-2031')}",
                      json={"seats": 9})
    assert edited.status_code == 200
    before = len(_saved(api))
    env = {"MOBILITY_VAR_DIR": str(tmp_path), "MOBILITY_APPLICATIONS_DATABASE_URL": pg_urls["applications"]}
    result = CliRunner().invoke(main, ["programs", "announce"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"programs: {len(PROGRAMS)} announced\n"
    again = _saved(api)[before:]
    assert sorted(e["data"]["code"] for e in again) == sorted(PROGRAMS)
    versions = {e["data"]["code"]: e["aggregateversion"] for e in again}
    assert versions == {code: 2 if code == "asia-belt-road-2031" else 1 for code in PROGRAMS}
    for event in again:
        _valid(event)


def _approve(api: Api, application: dict[str, Any], version: int) -> None:
    """The review chain's verdict, as reviews announces it, applied by applications' handlers."""
    event = envelope.new_event("review.completed", "/services/reviews", application["id"], {
        "application_id": application["id"], "application_version": version, "outcome": "approved", "level": 3,
        "comment": None, "decided_by": "icd.officer", "decided_at": datetime.now(UTC).isoformat()})
    with make_sessionmaker(api.engine)() as session, session.begin():
        apply(HANDLERS, session, event)


def test_an_approved_student_exchange_carries_its_selection_and_other_kinds_none(api: Api) -> None:
    application = api.ready("alice", "student_exchange", gpa="3.52",
                            partner_choices=[POLIMI, TU_BERLIN])
    submitted = api.submit("alice", application)
    assert submitted.status_code == 200, submitted.json
    _approve(api, application, submitted.json["version"])
    with api.engine.connect() as c:
        rows = c.execute(text("SELECT type, body FROM outbox WHERE subject = :id ORDER BY id"),
                         {"id": application["id"]}).all()
    events = {event_type: json.loads(body) for event_type, body in rows}
    assert {"application.submitted", "application.approved"} <= set(events)
    approved = _valid(events["application.approved"])
    assert approved["status"] == "approved"
    assert approved["selection"] == {
        "choices": [{"partner_id": POLIMI, "name": "Politecnico di Milano", "country": "IT"},
                    {"partner_id": TU_BERLIN, "name": "Technische Universität Berlin", "country": "DE"}],
        "gpa": "3.52", "language": {"type": "IELTS", "score": "7.0"}, "term": "2031-fall"}
    assert _valid(events["application.submitted"])["selection"] == approved["selection"]

    trip = api.ready("prof.li", "faculty_exchange")
    assert api.submit("prof.li", trip).status_code == 200
    with api.engine.connect() as c:
        body = c.scalar(text("SELECT body FROM outbox WHERE subject = :id AND type = 'application.submitted'"),
                        {"id": trip["id"]})
    assert "selection" not in json.loads(body)["data"]


def test_the_schema_refuses_a_selection_that_is_not_one() -> None:
    common = json.loads(json.dumps(catalog.schema("application.approved")["x-asyncapi"]["examples"][0]["data"]))
    good = {"choices": [{"partner_id": POLIMI, "name": None, "country": None}], "gpa": "4.00",
            "language": None, "term": None}
    catalog.validate("application.approved", {**common, "selection": good})
    for bad in ({**good, "gpa": "3,5"}, {**good, "term": "fall 2031"}, {**good, "choices": [{"partner_id": "x"}]},
                {**good, "language": {"type": "IELTS", "score": 7}}, {"choices": []}):
        try:
            catalog.validate("application.approved", {**common, "selection": bad})
        except catalog.SchemaError:
            continue
        raise AssertionError(f"accepted {bad}")
