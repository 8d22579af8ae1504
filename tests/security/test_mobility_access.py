"""The object-level access matrix of mobility records and their reports, through the gateway with real users'
tokens, on records made by real approvals in the embedded system.

Rows: the traveller's applicant who owns the records (prof.li), another traveller (a second teacher with a trip of
his own; for the student's record, another student), the school's reviewers (coord.cs, dean.cs), another school's
(coord.me), the office (icd.officer). Columns: read, list, act (checklist, departure, return, report, upload),
decide the report at the school and the ICD stage, record a recognition, download a file, the overdue list and the
settings. What a user may not see answers 404, what they see but may not do 403, and a refused call changes
nothing (the record, its report and the settings read the same before and after). Also: an upload that is not
what its name claims is refused (415) and stores nothing; server-owned fields in a body are refused (422).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chassis.db import make_sessionmaker
from chassis.settings import Settings
from gateway import identity
from mobility.embedded import Embedded
from services.applications import kinds
from tests.security.test_security import UNLIMITED, As
from tests.support import group_trip
from tests.support.api import PDF, example
from tests.support.mobilities import PNG
from tests.support.wait import until

OTHER_TEACHER = "prof.wang"
REVIEWERS = ("coord.cs", "dean.cs", "icd.officer", "vp.fa")  # who decides a task of each role, in chain order
CHAIN = [{"role": "school_coordinator", "scope": "school", "days": 3},
         {"role": "icd_officer", "scope": "university", "days": 5}]
LONG = "Visited the partner laboratory and agreed a joint project on distributed systems. " * 6  # ~500 chars
SECTIONS = {name: LONG for name in ("schedule", "results", "contacts", "follow_up", "spending")}
RECOGNITION = {"host_course": "Distributed Systems", "credits": 6, "grade": "A", "home_course": "Advanced Systems",
               "recognised_credits": 4}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    system = Embedded(Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("mobility-access") / "var"), "MOBILITY_SMTP_PORT": "9",
        "MOBILITY_RATE_LIMIT_LOGIN": UNLIMITED, "MOBILITY_RATE_LIMIT_SUBMIT": UNLIMITED,
        "MOBILITY_RATE_LIMIT_UPLOAD": UNLIMITED,
    })).start()
    with make_sessionmaker(system.engines["gateway"])() as session, session.begin():
        identity.register(session, username=OTHER_TEACHER, password="demo", email="prof.wang@demo.mobility.local",
                          school="cs", roles=[{"role": "teacher", "school": "cs"}], display_name="Wang Qiang")
    yield system
    system.stop()


class People:
    """One gateway client per person of the matrix."""

    def __init__(self, system: Embedded) -> None:
        self.system = system
        self.clients: dict[str, As] = {}

    def __call__(self, user: str) -> As:
        if user not in self.clients:
            self.clients[user] = As(self.system, user)
        return self.clients[user]


def _approved(people: People, applicant: str, body: dict[str, Any]) -> str:
    """File, submit and have approved one application through its chain; its id."""
    me = people(applicant)
    created = me("POST", "/api/v1/applications", json=body)
    assert created.status_code == 201, created.get_json()
    application = created.get_json()
    for doc_type in kinds.get(application["kind"]).required_documents:
        r = me("POST", f"/api/v1/applications/{application['id']}/documents",
               data={"doc_type": doc_type, "file": (io.BytesIO(PDF), "scan.pdf")})
        assert r.status_code == 201, r.get_json()
    r = me("POST", f"/api/v1/applications/{application['id']}/submit", headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.get_json()

    def decided() -> bool:
        for reviewer in REVIEWERS:
            tasks = people(reviewer)("GET", f"/api/v1/review-tasks?application_id={application['id']}").get_json()
            for task in tasks or []:
                if task["status"] in ("open", "claimed"):
                    people(reviewer)("POST", f"/api/v1/review-tasks/{task['id']}/decision", json={
                        "outcome": "approve", "comment": "OK", "application_version": task["application_version"]})
        return me("GET", f"/api/v1/applications/{application['id']}").get_json()["status"] == "approved"

    until(decided, timeout=60, what=f"{applicant}'s application approved")
    return str(application["id"])


def _records(people: People, user: str, application_id: str, n: int) -> list[dict[str, Any]]:
    return until(lambda: (items := people(user)("GET", f"/api/v1/mobilities?application_id={application_id}"
                                                 ).get_json()["items"]) and len(items) == n and items,
                 timeout=30, what=f"{n} mobility record(s) of {application_id}")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def world(system: Embedded) -> dict[str, Any]:
    """prof.li's approved group trip (three records), prof.wang's own trip, alice's approved student exchange."""
    people = People(system)
    for kind in ("faculty_exchange", "student_exchange"):
        r = people("admin")("PUT", f"/api/v1/review-chains/{kind}", json={"levels": CHAIN})
        assert r.status_code in (200, 201), r.get_json()
    group = _approved(people, "prof.li", group_trip.body())
    own = group_trip.body()
    own["form"]["members"] = [{**own["form"]["members"][0], "name": "王强", "staff_number": "T20999"}]
    wang = _approved(people, OTHER_TEACHER, own)
    student = _approved(people, "alice", example("student_exchange"))
    today = datetime.now(ZoneInfo(system.settings.timezone)).date()
    return {"people": people, "today": today, "group": _records(people, "prof.li", group, 3),
            "wang": _records(people, OTHER_TEACHER, wang, 1)[0], "student": _records(people, "alice", student, 1)[0]}


def _problem(response: Any, status: int, what: str) -> None:
    assert response.status_code == status, (what, response.status_code, response.get_json())
    assert response.headers["Content-Type"] == "application/problem+json", what


def _state(people: People, mobility_id: str) -> tuple[Any, Any]:
    """The record and its report as the office reads them."""
    office = people("icd.officer")
    record = office("GET", f"/api/v1/mobilities/{mobility_id}")
    report = office("GET", f"/api/v1/mobilities/{mobility_id}/report")
    assert record.status_code == 200
    return record.get_json(), report.get_json() if report.status_code == 200 else None


def refused(people: People, expected: dict[str, int], method: str, mobility_id: str, path: str = "",
            **kwargs: Any) -> None:
    """Each user of `expected` calls; each gets its status (a problem) and the record stays as it was."""
    for user, status in expected.items():
        before = _state(people, mobility_id)
        body = {k: (v() if callable(v) else v) for k, v in kwargs.items()}  # a fresh upload stream per call
        response = people(user)(method, f"/api/v1/mobilities/{mobility_id}{path}", **body)
        _problem(response, status, f"{user} {method} {path or '/'}")
        assert _state(people, mobility_id) == before, f"{user} {method} {path or '/'} changed the record"


def ok(people: People, user: str, method: str, mobility_id: str, path: str = "", status: int = 200,
       **kwargs: Any) -> dict[str, Any]:
    response = people(user)(method, f"/api/v1/mobilities/{mobility_id}{path}", **kwargs)
    assert response.status_code == status, (user, method, path, response.get_json())
    return response.get_json()  # type: ignore[no-any-return]


def photo() -> dict[str, Any]:
    return {"file_type": "photo", "file": (io.BytesIO(PNG), "photo.png")}


def days_ago(world: dict[str, Any], n: int) -> str:
    return str(world["today"] - timedelta(days=n))


def returned(world: dict[str, Any], mobility_id: str) -> None:
    """Take one of prof.li's records to `returned` (its report a draft), unless it is there already."""
    people = world["people"]
    if ok(people, "prof.li", "GET", mobility_id)["status"] != "planned":
        return
    ok(people, "prof.li", "POST", mobility_id, "/checklist/passport_collected", json={"done": True})
    ok(people, "prof.li", "POST", mobility_id, "/departure", json={"date": days_ago(world, 3)})
    ok(people, "prof.li", "POST", mobility_id, "/return", json={"date": days_ago(world, 1)})


STRANGERS = {OTHER_TEACHER: 404, "coord.me": 404}  # they may not see prof.li's records
SCHOOL = {"coord.cs": 403, "dean.cs": 403}  # they see them but do not act for the traveller


def test_read_and_list_follow_the_records_scope(world: dict[str, Any]) -> None:
    people, group, wang = world["people"], world["group"], world["wang"]
    ours, theirs = {r["id"] for r in group}, {wang["id"]}
    for user in ("prof.li", "coord.cs", "dean.cs", "icd.officer", "vp.fa"):
        assert ok(people, user, "GET", group[0]["id"])["owner"] == "prof.li"
    refused(people, {**STRANGERS, "alice": 404}, "GET", group[0]["id"])
    refused(people, {"prof.li": 404, "coord.me": 404}, "GET", wang["id"])

    def listed(user: str, query: str = "") -> set[str]:
        response = people(user)("GET", f"/api/v1/mobilities{query}")
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert listed("prof.li") == ours  # not prof.wang's, though he is of the same school
    assert listed(OTHER_TEACHER) == theirs
    assert listed("alice") == {world["student"]["id"]}
    for user in ("coord.cs", "dean.cs", "icd.officer"):
        assert ours | theirs | {world["student"]["id"]} <= listed(user), user
    assert listed("coord.cs", "?mine=true") == set()
    assert listed("coord.me") == set() and listed("coord.me", "?school=cs") == set()
    refused(people, STRANGERS, "GET", group[0]["id"], "/report")  # no report yet, and not theirs anyway


def test_only_the_traveller_and_the_office_act_and_the_reviewers_decide_in_turn(world: dict[str, Any]) -> None:
    people, record = world["people"], world["group"][0]["id"]
    tick = {"json": {"done": True}}
    refused(people, {**STRANGERS, **SCHOOL, "alice": 404}, "POST", record, "/checklist/passport_collected", **tick)
    assert ok(people, "prof.li", "POST", record, "/checklist/passport_collected", **tick)["checklist"][0]["done"]
    departure = {"json": {"date": days_ago(world, 2)}}
    refused(people, {**STRANGERS, **SCHOOL}, "POST", record, "/departure", **departure)
    assert ok(people, "prof.li", "POST", record, "/departure", **departure)["status"] == "departed"
    back = {"json": {"date": days_ago(world, 1)}}
    refused(people, {**STRANGERS, **SCHOOL, "prof.li": 409}, "POST", record, "/no-show", json={"reason": "x"})
    refused(people, {**STRANGERS, **SCHOOL}, "POST", record, "/return", **back)
    refused(people, {**STRANGERS, **SCHOOL}, "POST", record, "/arrival", **back)
    refused(people, {**STRANGERS, **SCHOOL}, "POST", record, "/dates",
            json={"end_date": str(world["today"]), "reason": "Home early."})
    assert ok(people, "icd.officer", "POST", record, "/return", **back)["status"] == "returned"  # on his behalf

    refused(people, STRANGERS, "GET", record, "/report")
    for user in ("prof.li", "coord.cs", "dean.cs", "icd.officer"):
        assert ok(people, user, "GET", record, "/report")["status"] == "draft"
    refused(people, {**STRANGERS, **SCHOOL}, "PUT", record, "/report", json={"sections": SECTIONS})
    assert ok(people, "prof.li", "PUT", record, "/report", json={"sections": SECTIONS})["status"] == "draft"
    refused(people, {**STRANGERS, **SCHOOL}, "POST", record, "/files", data=photo)
    ok(people, "prof.li", "POST", record, "/files", status=201, data=photo())
    ok(people, "icd.officer", "POST", record, "/files", status=201, data=photo())  # the office, for him
    refused(people, {**STRANGERS, **SCHOOL}, "POST", record, "/report/submit")
    assert ok(people, "prof.li", "POST", record, "/report/submit")["report"]["status"] == "submitted"

    # The school's stage: its reviewers only (not the traveller, not the ICD before the school).
    accept, back_to_him = {"json": {"outcome": "accept"}}, {"json": {"outcome": "return", "comment": "Contacts?"}}
    school_stage = {**STRANGERS, "prof.li": 403, "icd.officer": 403}
    refused(people, school_stage, "POST", record, "/report/decision", **accept)
    ok(people, "coord.cs", "POST", record, "/report/decision", **back_to_him)
    assert ok(people, "prof.li", "POST", record, "/report/submit")["report"]["status"] == "submitted"
    refused(people, school_stage, "POST", record, "/report/decision", **accept)
    assert ok(people, "dean.cs", "POST", record, "/report/decision", **accept)["report"]["status"] == \
        "school_accepted"
    # The ICD's stage: the office only; the school has decided.
    refused(people, {**STRANGERS, **SCHOOL, "prof.li": 403}, "POST", record, "/report/decision", **accept)
    done = ok(people, "icd.officer", "POST", record, "/report/decision", **accept)
    assert done["status"] == "reported" and done["report"]["status"] == "accepted"


def test_files_are_downloaded_by_whoever_reads_the_record(world: dict[str, Any]) -> None:
    people, record = world["people"], world["group"][1]["id"]
    returned(world, record)
    stored = ok(people, "prof.li", "POST", record, "/files", status=201, data=photo())["files"][-1]
    path = f"/files/{stored['id']}"
    for user in ("prof.li", "coord.cs", "dean.cs", "icd.officer"):
        download = people(user)("GET", f"/api/v1/mobilities/{record}{path}")
        assert download.status_code == 200 and download.data == PNG, user
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    refused(people, STRANGERS, "GET", record, path)
    # A file asked for under another record the caller may read is not found either.
    refused(people, {"prof.li": 404, "coord.cs": 404, "icd.officer": 404}, "GET", world["group"][2]["id"], path)


def test_an_upload_that_is_not_what_it_claims_stores_nothing(system: Embedded, world: dict[str, Any]) -> None:
    people, record = world["people"], world["group"][1]["id"]
    returned(world, record)  # its report a draft: it takes photos
    files = system.settings.documents_dir / "mobilities"
    on_disk = sorted(p.name for p in files.iterdir()) if files.exists() else []
    html = {"file_type": "photo", "file": (io.BytesIO(b"<!doctype html><script>alert(1)</script>"), "photo.png")}
    before = _state(people, record)
    _problem(people("prof.li")("POST", f"/api/v1/mobilities/{record}/files", data=html), 415, "html as png")
    assert _state(people, record) == before
    assert (sorted(p.name for p in files.iterdir()) if files.exists() else []) == on_disk


def test_server_owned_fields_in_a_body_are_refused(world: dict[str, Any]) -> None:
    people, record = world["people"], world["group"][2]["id"]
    for path, body in (("/departure", {"date": days_ago(world, 1), "status": "returned"}),
                       ("/checklist/passport_collected", {"done": True, "owner": OTHER_TEACHER}),
                       ("/no-show", {"reason": "ill", "status": "closed"})):
        before = _state(people, record)
        response = people("prof.li")("POST", f"/api/v1/mobilities/{record}{path}", json=body)
        _problem(response, 422, path)
        assert set(body) - {"date", "done", "reason"} <= set(response.get_json()["errors"]), path
        assert _state(people, record) == before
    done = world["group"][1]["id"]
    returned(world, done)  # its report exists
    before = _state(people, done)
    for extra in ({"status": "accepted"}, {"owner": OTHER_TEACHER}, {"mobility_id": record}):
        response = people("prof.li")("PUT", f"/api/v1/mobilities/{done}/report",
                                     json={"sections": SECTIONS, **extra})
        _problem(response, 422, str(extra))
    assert _state(people, done) == before


def test_recognition_by_the_students_school_or_the_office(world: dict[str, Any]) -> None:
    people, record = world["people"], world["student"]["id"]
    for item in ("insurance", "visa", "safety_briefing"):
        ok(people, "alice", "POST", record, f"/checklist/{item}", json={"done": True})
    ok(people, "alice", "POST", record, "/departure", json={"date": days_ago(world, 3)})
    pdf = {"file": (io.BytesIO(PDF), "confirmation.pdf")}
    ok(people, "alice", "POST", record, "/files", status=201, data={"file_type": "arrival_confirmation", **pdf})
    ok(people, "alice", "POST", record, "/return", json={"date": days_ago(world, 1)})
    refused(people, {"bob": 404, "prof.li": 404, "coord.me": 404, **SCHOOL}, "POST", record, "/files",
            data=lambda: {"file_type": "transcript", "file": (io.BytesIO(PDF), "transcript.pdf")})
    transcript = {"file_type": "transcript", "file": (io.BytesIO(PDF), "transcript.pdf")}
    assert ok(people, "alice", "POST", record, "/files", status=201, data=transcript)["status"] == "reported"

    refused(people, {"bob": 404, "coord.me": 404, "alice": 403}, "POST", record, "/recognitions", json=RECOGNITION)
    assert ok(people, "coord.cs", "POST", record, "/recognitions", status=201, json=RECOGNITION)["status"] == "closed"
    ok(people, "dean.cs", "POST", record, "/recognitions", status=201, json=RECOGNITION)
    shown = ok(people, "icd.officer", "POST", record, "/recognitions", status=201, json=RECOGNITION)
    assert [r["recorded_by"] for r in shown["recognitions"]] == ["coord.cs", "dean.cs", "icd.officer"]
    # A staff trip takes no recognition; whoever may not see it still learns nothing.
    refused(people, {**STRANGERS, "prof.li": 403}, "POST", world["group"][0]["id"], "/recognitions",
            json=RECOGNITION)


def test_the_overdue_list_is_the_reviewers_scope(world: dict[str, Any]) -> None:
    people, late = world["people"], world["wang"]["id"]
    ok(people, OTHER_TEACHER, "POST", late, "/checklist/passport_collected", json={"done": True})
    ok(people, OTHER_TEACHER, "POST", late, "/departure", json={"date": days_ago(world, 40)})
    ok(people, OTHER_TEACHER, "POST", late, "/return", json={"date": days_ago(world, 30)})  # due 15 days ago

    def overdue(user: str) -> Any:
        return people(user)("GET", "/api/v1/mobilities/overdue")

    for user in ("prof.li", OTHER_TEACHER, "alice"):
        _problem(overdue(user), 403, f"{user} overdue")
    for user in ("coord.cs", "dean.cs", "icd.officer"):
        response = overdue(user)
        assert response.status_code == 200, user
        assert late in {item["mobility"]["id"] for item in response.get_json()["items"]}, user
    assert overdue("coord.me").status_code == 200 and overdue("coord.me").get_json()["items"] == []


def _settings(people: People) -> tuple[Any, Any, Any]:
    office = people("icd.officer")
    return (office("GET", "/api/v1/mobilities/report-rules").get_json(),
            office("GET", "/api/v1/mobilities/school-holds/cs").get_json(),
            office("GET", "/api/v1/mobilities/school-holds/me").get_json())


def test_only_the_office_changes_the_settings(world: dict[str, Any]) -> None:
    people = world["people"]
    rules = people("prof.li")("GET", "/api/v1/mobilities/report-rules")
    assert rules.status_code == 200  # everyone signed in reads them
    rule = next(r for r in rules.get_json()["rules"] if r["kind"] == "faculty_exchange")
    changed = {"rules": [{**rule, "min_chars": 10}]}
    writes: list[tuple[str, str, dict[str, Any]]] = [("PUT", "/report-rules", changed),
                                                     ("PUT", "/school-holds/cs", {"on": True}),
                                                     ("PUT", "/school-holds/me", {"on": True})]
    for method, path, body in writes:
        for user in ("prof.li", OTHER_TEACHER, "alice", "coord.cs", "dean.cs", "coord.me", "vp.fa"):
            before = _settings(people)
            _problem(people(user)(method, f"/api/v1/mobilities{path}", json=body), 403, f"{user} {path}")
            assert _settings(people) == before, f"{user} {path}"
    assert _settings(people)[1:] == ({"school": "cs", "on": False}, {"school": "me", "on": False})
    on = people("icd.officer")("PUT", "/api/v1/mobilities/school-holds/me", json={"on": True})
    assert on.status_code == 200 and on.get_json()["on"] is True
    assert people("icd.officer")("PUT", "/api/v1/mobilities/school-holds/me", json={"on": False}).status_code == 200


def test_the_review_queue_holds_only_what_the_caller_decides(world: dict[str, Any]) -> None:
    people = world["people"]
    for user in ("prof.li", OTHER_TEACHER, "coord.me"):
        queue = people(user)("GET", "/api/v1/mobilities/reports")
        assert queue.status_code == 200 and queue.get_json()["items"] == [], user

