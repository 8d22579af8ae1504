"""The reviews service on PostgreSQL: queues, claims, decisions and their rules, deadlines, the log."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from chassis.db import make_sessionmaker
from chassis.tokens import Identity, Signer
from eventbus import envelope
from eventbus.consumer import apply
from gateway.demo import ACCOUNTS
from services.reviews import chains, deadlines, handlers
from tests.support.service import start_service

# An application.* event's mobility facts, all present (as the catalog requires), none saying anything yet.
NO_FACTS = {"direction": "outbound", "people": 1, "partner_id": None, "partner_name": None, "country": None,
            "region": None, "start_date": None, "end_date": None, "duration_days": None, "duration_band": None,
            "academic_year": None}


class Reviews:
    def __init__(self, client: Any, signer: Signer, engine: Any) -> None:
        self.client, self.signer, self.engine = client, signer, engine
        self.sessions = make_sessionmaker(engine)

    def as_(self, user: str, roles: list[dict[str, Any]] | None = None) -> dict[str, str]:
        name, school, locale, demo_roles = ACCOUNTS.get(user, (user, "cs", "zh", []))
        who = Identity(username=user, roles=roles if roles is not None else demo_roles, school=school)
        return {"Authorization": f"Bearer {self.signer.sign(who, 'reviews', 60)}"}

    def call(self, user: str, method: str, path: str, roles: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
        return self.client.open(path, method=method, headers=self.as_(user, roles), **kw)

    def deliver(self, event_type: str, data: dict[str, Any], revision: int | None = None) -> None:
        event = envelope.new_event(event_type, "/services/applications", data["application_id"], data,
                                   aggregateversion=revision)
        with self.sessions() as session, session.begin():
            apply(handlers.HANDLERS, session, event)

    def submit(self, kind: str = "faculty_exchange", applicant: str = "prof.li", school: str = "cs",
               version: int = 2, **facts: Any) -> str:
        application_id = str(uuid.uuid4())
        self.deliver("application.submitted", {
            "application_id": application_id, "kind": kind, "applicant": applicant, "applicant_name": applicant,
            "applicant_email": "", "locale": "zh", "school": school, "program_id": None, "title": "A trip",
            "version": version, "status": "submitted", "submitted_at": datetime.now(UTC).isoformat(),
            "duration_days": facts.get("duration_days", 10), "budget": facts.get("budget", "1000.00"),
            **({"mobility": {**NO_FACTS, **facts["mobility"]}} if "mobility" in facts else {})}, facts.get("revision"))
        return application_id

    def task(self, user: str, application_id: str, roles: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        tasks = self.call(user, "GET", f"/api/v1/review-tasks?application_id={application_id}", roles).json
        assert len(tasks) == 1, tasks
        return tasks[0]  # type: ignore[no-any-return]

    def decide(self, user: str, task: dict[str, Any], outcome: str = "approve", comment: str | None = None,
               version: int | None = None, roles: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
        body = {"outcome": outcome, "comment": comment,
                "application_version": task["application_version"] if version is None else version, **extra}
        return self.call(user, "POST", f"/api/v1/review-tasks/{task['id']}/decision", roles, json=body)

    def count(self, sql: str, **params: Any) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(text(sql), params))


@pytest.fixture
def rv(tmp_path: Path, pg_urls: dict[str, str]):  # type: ignore[no-untyped-def]
    service = start_service("reviews", tmp_path, pg_urls["reviews"])
    yield Reviews(service.client, service.signer, service.engine)
    service.engine.dispose()


def test_a_chain_walks_level_by_level_to_completion(rv: Reviews) -> None:
    app_id = rv.submit()
    for user in ("coord.cs", "dean.cs", "icd.officer"):
        assert rv.decide(user, rv.task(user, app_id)).status_code == 201
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.completed'") == 1
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.task_created'") == 3
    assert rv.call("vp.fa", "GET", f"/api/v1/review-tasks?application_id={app_id}").json == []  # no 4th level


def test_the_vice_president_level_appears_for_a_long_trip(rv: Reviews) -> None:
    app_id = rv.submit(duration_days=45)
    for user in ("coord.cs", "dean.cs", "icd.officer"):
        rv.decide(user, rv.task(user, app_id))
    assert rv.decide("vp.fa", rv.task("vp.fa", app_id)).status_code == 201
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.completed'") == 1


def test_stale_double_foreign_student_and_self_decisions_are_refused(rv: Reviews) -> None:
    app_id = rv.submit()
    task = rv.task("coord.cs", app_id)
    stale = rv.decide("coord.cs", task, version=1)
    assert stale.status_code == 409 and stale.headers["Content-Type"] == "application/problem+json"
    assert rv.call("coord.me", "GET", f"/api/v1/review-tasks/{task['id']}").status_code == 404
    assert rv.decide("coord.me", task).status_code == 404
    assert rv.decide("alice", task).status_code == 403  # a student at the decision endpoint
    assert rv.decide("coord.cs", task, outcome="reject").status_code == 422  # no comment
    assert rv.decide("coord.cs", task).status_code == 201
    assert rv.decide("coord.cs", task).status_code == 409  # decided already
    own = rv.submit(applicant="coord.cs")
    assert rv.call("coord.cs", "GET", f"/api/v1/review-tasks?application_id={own}").json == []  # not in my queue
    own_task = rv.task("zhao.cs", own, [{"role": "school_coordinator", "school": "cs"}])
    refused = rv.decide("coord.cs", own_task)
    assert refused.status_code == 403 and "own application" in refused.json["detail"]
    assert rv.count("SELECT count(*) FROM review_decisions") == 1


def test_one_person_cannot_approve_two_levels(rv: Reviews) -> None:
    both = [{"role": "school_coordinator", "school": "cs"}, {"role": "school_dean", "school": "cs"}]
    app_id = rv.submit()
    assert rv.decide("wang.cs", rv.task("wang.cs", app_id, both), roles=both).status_code == 201
    second = rv.decide("wang.cs", rv.task("wang.cs", app_id, both), roles=both)
    assert second.status_code == 403 and "another level" in second.json["detail"]


def test_only_the_claimer_decides_and_a_supervisor_reassigns(rv: Reviews) -> None:
    other = [{"role": "school_coordinator", "school": "cs"}]
    app_id = rv.submit()
    task = rv.task("coord.cs", app_id)
    assert rv.call("coord.cs", "POST", f"/api/v1/review-tasks/{task['id']}/claim").json["claimed_by"] == "coord.cs"
    assert rv.call("zhao.cs", "GET", f"/api/v1/review-tasks?application_id={app_id}", other).json == []
    assert rv.decide("zhao.cs", task, roles=other).status_code == 403
    assert rv.call("zhao.cs", "POST", f"/api/v1/review-tasks/{task['id']}/reassign", other,
                   json={"username": "zhao.cs"}).status_code == 403
    moved = rv.call("icd.officer", "POST", f"/api/v1/review-tasks/{task['id']}/reassign", json={"username": "zhao.cs"})
    assert moved.status_code == 200 and moved.json["claimed_by"] == "zhao.cs"
    assert rv.decide("zhao.cs", task, roles=other).status_code == 201
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.task_claimed'") == 2


def test_return_then_resubmit_restarts_at_the_returning_level(rv: Reviews) -> None:
    app_id = rv.submit()
    rv.decide("coord.cs", rv.task("coord.cs", app_id))
    assert rv.decide("dean.cs", rv.task("dean.cs", app_id), outcome="return", comment="Budget?").status_code == 201
    rv.deliver("application.resubmitted", {
        "application_id": app_id, "kind": "faculty_exchange", "applicant": "prof.li", "applicant_name": "",
        "applicant_email": "", "locale": "zh", "school": "cs", "program_id": None, "title": "A trip", "version": 5,
        "status": "submitted", "submitted_at": datetime.now(UTC).isoformat()})
    assert rv.call("coord.cs", "GET", f"/api/v1/review-tasks?application_id={app_id}").json == []
    task = rv.task("dean.cs", app_id)
    assert (task["level"], task["round"], task["application_version"]) == (2, 2, 5)


def test_a_withdrawal_cancels_open_tasks(rv: Reviews) -> None:
    app_id = rv.submit()
    rv.deliver("application.withdrawn", {"application_id": app_id, "kind": "faculty_exchange", "applicant": "prof.li",
                                         "applicant_name": "", "applicant_email": "", "locale": "zh", "school": "cs",
                                         "program_id": None, "title": "A trip", "version": 3,
                                         "withdrawn_at": datetime.now(UTC).isoformat()})
    assert rv.call("coord.cs", "GET", f"/api/v1/review-tasks?application_id={app_id}").json == []
    assert rv.count("SELECT count(*) FROM review_tasks WHERE status = 'cancelled' AND application_id = :a",
                    a=app_id) == 1


def test_a_withdrawal_that_overtakes_its_submission_leaves_no_task(rv: Reviews) -> None:
    app_id = str(uuid.uuid4())
    common = {"application_id": app_id, "kind": "faculty_exchange", "applicant": "prof.li", "applicant_name": "",
              "applicant_email": "", "locale": "zh", "school": "cs", "program_id": None, "title": "A trip"}
    rv.deliver("application.withdrawn", {**common, "version": 3, "withdrawn_at": datetime.now(UTC).isoformat()})
    rv.deliver("application.submitted", {**common, "version": 2, "status": "submitted",
                                         "submitted_at": datetime.now(UTC).isoformat()})
    assert rv.count("SELECT count(*) FROM review_tasks WHERE application_id = :a", a=app_id) == 0


def test_a_claimed_task_that_escalates_reaches_the_supervisor_who_may_decide(rv: Reviews) -> None:
    app_id = rv.submit()
    task = rv.task("coord.cs", app_id)
    rv.call("coord.cs", "POST", f"/api/v1/review-tasks/{task['id']}/claim")
    with rv.sessions() as session, session.begin():
        deadlines.check(session, datetime.fromisoformat(task["due_at"]) + timedelta(days=4), escalate_after_days=3)
    escalated = rv.task("icd.officer", app_id)
    assert escalated["claimed_by"] == "coord.cs"
    assert rv.decide("icd.officer", escalated).status_code == 201


def test_overdue_notices_once_a_day_and_escalation_with_a_controlled_clock(rv: Reviews) -> None:
    app_id = rv.submit()
    due = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)  # mid-morning: the ticks below stay inside calendar days
    with rv.engine.begin() as c:
        c.execute(text("UPDATE review_tasks SET due_at = :due WHERE application_id = :a"), {"due": due, "a": app_id})

    def tick(at: datetime) -> tuple[int, int]:
        with rv.sessions() as session, session.begin():
            return deadlines.check(session, at, escalate_after_days=3)

    assert tick(due - timedelta(hours=1)) == (0, 0)
    assert tick(due + timedelta(hours=1)) == (1, 0)
    assert tick(due + timedelta(hours=2)) == (0, 0)  # once per day
    assert rv.call("icd.officer", "GET", f"/api/v1/review-tasks?application_id={app_id}").json == []
    assert tick(due + timedelta(days=3, hours=1)) == (1, 1)
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.task_overdue'") == 2
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.task_escalated'") == 1
    escalated = rv.task("icd.officer", app_id)  # now in the supervisor's queue as well
    assert escalated["escalated_at"] is not None
    assert tick(due + timedelta(days=4, hours=1)) == (1, 0)  # escalated once


def test_an_applicant_who_also_reviews_reads_their_own_log_without_notes(rv: Reviews) -> None:
    app_id = rv.submit(applicant="coord.cs")  # a coordinator applying for a trip of their own
    helper = [{"role": "school_coordinator", "school": "cs"}]
    rv.decide("zhao.cs", rv.task("zhao.cs", app_id, helper), roles=helper, internal_note="Between us.")
    log = rv.call("coord.cs", "GET", f"/api/v1/applications/{app_id}/reviews").json
    assert log[0]["internal_note"] is None


def test_the_decision_log_hides_internal_notes_from_the_applicant(rv: Reviews) -> None:
    app_id = rv.submit()
    rv.decide("coord.cs", rv.task("coord.cs", app_id), comment="Looks fine.", internal_note="Call the dean.")
    as_applicant = rv.call("prof.li", "GET", f"/api/v1/applications/{app_id}/reviews").json
    assert [(d["reviewer"], d["outcome"], d["comment"], d["internal_note"]) for d in as_applicant] == [
        ("coord.cs", "approve", "Looks fine.", None)]
    assert rv.call("dean.cs", "GET", f"/api/v1/applications/{app_id}/reviews").json[0]["internal_note"] == (
        "Call the dean.")
    assert rv.call("alice", "GET", f"/api/v1/applications/{app_id}/reviews").status_code == 404
    assert rv.call("coord.me", "GET", f"/api/v1/applications/{app_id}/reviews").status_code == 404


def test_queue_statistics_are_for_the_icd(rv: Reviews) -> None:
    first, second = rv.submit(), rv.submit(school="me")
    rv.decide("coord.cs", rv.task("coord.cs", first))
    stats = rv.call("icd.officer", "GET", "/api/v1/review-stats").json
    open_by = {(o["level"], o["school"]): o["open_tasks"] for o in stats["open"]}
    assert open_by == {(1, "me"): 1, (2, "cs"): 1}
    assert [(t["level"], t["decided"]) for t in stats["time_per_level"]] == [(1, 1)]
    assert 0 <= stats["time_per_level"][0]["median_hours"] == stats["time_per_level"][0]["p90_hours"] < 1
    assert rv.call("coord.cs", "GET", "/api/v1/review-stats").status_code == 403
    rv.decide("coord.me", rv.task("coord.me", second))
    rv.decide("dean.me", rv.task("dean.me", second))
    by_school = {(o["level"], o["school"]) for o in rv.call("icd.officer", "GET", "/api/v1/review-stats").json["open"]}
    assert (3, "me") in by_school  # the ICD level counted under the application's school


def test_chains_are_versioned_data_and_cases_keep_theirs(rv: Reviews) -> None:
    before = rv.submit(kind="hosted_event")
    levels = [{"role": "icd_officer", "scope": "university", "days": 3}]
    assert rv.call("dean.cs", "PUT", "/api/v1/review-chains/hosted_event", json={"levels": levels}).status_code == 403
    made = rv.call("admin", "PUT", "/api/v1/review-chains/hosted_event", json={"levels": levels})
    assert made.status_code == 201 and made.json["version"] == 2
    bad = rv.call("admin", "PUT", "/api/v1/review-chains/hosted_event",
                  json={"levels": [{"role": "janitor", "scope": "school", "days": 3}]})
    assert bad.status_code == 422
    after = rv.submit(kind="hosted_event")
    assert rv.task("dean.cs", before)["level"] == 1  # the old case still starts with the dean
    assert rv.call("dean.cs", "GET", f"/api/v1/review-tasks?application_id={after}").json == []
    assert rv.task("icd.officer", after)["role"] == "icd_officer"


def test_a_transaction_reads_the_active_chain_once_and_sees_a_version_it_made(rv: Reviews) -> None:
    """A consumer's batch applies many submissions in one transaction: the kind's chain is read once for all of
    them, and a new version made in that transaction is the one it uses from then on."""
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(rv.engine, "before_cursor_execute", seen)
    try:
        with rv.sessions() as session, session.begin():
            first = chains.active_chain(session, "hosted_event")
            assert chains.active_chain(session, "hosted_event") is first
            assert sum("FROM review_chains" in s for s in statements) == 1
            made = chains.new_version(session, "hosted_event", [{"role": "icd_officer", "scope": "university",
                                                                 "days": 3}], "admin")
            session.flush()
            assert chains.active_chain(session, "hosted_event").version == made.version == first.version + 1
        with rv.sessions() as session, session.begin():  # the next transaction reads it again
            assert chains.active_chain(session, "hosted_event").version == made.version
            assert sum("FROM review_chains" in s for s in statements) == 4  # + new_version's max and one read each
    finally:
        event.remove(rv.engine, "before_cursor_execute", seen)


def test_a_duplicate_application_submitted_creates_one_task(rv: Reviews, amqp_url: str, running) -> None:  # type: ignore[no-untyped-def]
    from eventbus.broker import Publisher, connect
    from eventbus.consumer import Consumer
    from tests.support import wait

    consumer = Consumer(service="reviews", engine=rv.engine, broker_url=amqp_url, handlers=handlers.HANDLERS,
                        retry_delay_ms=200)
    running(consumer)
    assert consumer.ready.wait(15)
    def submitted(application_id: str) -> Any:
        return envelope.new_event("application.submitted", "/services/applications", application_id, {
            "application_id": application_id, "kind": "student_exchange", "applicant": "alice",
            "applicant_name": "Alice", "applicant_email": "", "locale": "en", "school": "cs", "program_id": None,
            "title": "Berlin", "version": 2, "status": "submitted", "submitted_at": datetime.now(UTC).isoformat()})

    event, sentinel = submitted(str(uuid.uuid4())), submitted(str(uuid.uuid4()))
    with connect(amqp_url) as connection:
        publisher = Publisher(connection)
        for copy in (event, event, sentinel):  # one consumer takes them in order: the sentinel comes last
            publisher.publish(envelope.to_json(copy), routing_key="application.submitted", message_id=copy.get_id())
    tasks = "SELECT count(*) FROM review_tasks WHERE application_id = :a"
    wait.until(lambda: rv.count(tasks, a=sentinel.get_subject()) == 1, what="the sentinel's task")
    assert rv.count(tasks, a=event.get_subject()) == 1
    # The same news under another event id (a republish upstream) passes the inbox; the handler holds.
    again = event.get_data()
    assert isinstance(again, dict)
    rv.deliver("application.submitted", again)
    assert rv.count(tasks, a=event.get_subject()) == 1
    assert rv.count("SELECT count(*) FROM review_cases") == 2
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.task_created'") == 2


def test_a_resubmission_that_makes_the_trip_longer_adds_the_vice_president(rv: Reviews) -> None:
    app_id = rv.submit(duration_days=20)
    rv.decide("coord.cs", rv.task("coord.cs", app_id))
    rv.decide("dean.cs", rv.task("dean.cs", app_id), outcome="return", comment="Stay longer?")
    rv.deliver("application.resubmitted", {
        "application_id": app_id, "kind": "faculty_exchange", "applicant": "prof.li", "applicant_name": "",
        "applicant_email": "", "locale": "zh", "school": "cs", "program_id": None, "title": "A trip", "version": 5,
        "status": "submitted", "submitted_at": datetime.now(UTC).isoformat(), "duration_days": 60, "budget": "100"})
    rv.decide("dean.cs", rv.task("dean.cs", app_id))
    rv.decide("icd.officer", rv.task("icd.officer", app_id))
    assert rv.task("vp.fa", app_id)["level"] == 4


def test_the_queue_comes_in_pages_soonest_due_first_with_a_link_to_the_next(rv: Reviews) -> None:
    ids = {rv.submit(applicant=f"teacher{n}") for n in range(7)}
    rv.submit(school="me", applicant="someone.in.me")  # another school's: on nobody's cs page
    seen: list[dict[str, Any]] = []
    path = "/api/v1/review-tasks?limit=3"
    pages = 0
    while path:
        response = rv.call("coord.cs", "GET", path)
        assert response.status_code == 200, response.json
        assert len(response.json) <= 3
        seen += response.json
        pages += 1
        link = response.headers.get("Link")
        path = link.split(">")[0].removeprefix("<") if link else ""
        assert not path or ('rel="next"' in link and "limit=3" in path)  # the next page keeps the filters
    assert pages == 3
    assert len(seen) == 7 and {t["application_id"] for t in seen} == ids  # each once, none of the other school
    assert [(t["due_at"], t["id"]) for t in seen] == sorted((t["due_at"], t["id"]) for t in seen)
    last = rv.call("coord.cs", "GET", "/api/v1/review-tasks")  # the default page holds them all here
    assert len(last.json) == 7 and "Link" not in last.headers
    bad = rv.call("coord.cs", "GET", "/api/v1/review-tasks?cursor=not-a-cursor")
    assert bad.status_code == 422 and bad.json["errors"] == {"cursor": ["Not a cursor this API gave out."]}
    assert rv.call("coord.cs", "GET", "/api/v1/review-tasks?limit=201").status_code == 422
    naive = base64.urlsafe_b64encode(json.dumps(["2031-01-01T00:00:00", "x"]).encode()).decode()
    assert rv.call("coord.cs", "GET", f"/api/v1/review-tasks?cursor={naive}").status_code == 422


def test_a_chain_for_a_kind_the_service_never_heard_of_reviews_its_applications(rv: Reviews) -> None:
    nothing_yet = rv.call("admin", "GET", "/api/v1/review-chains/summer_school")
    assert nothing_yet.status_code == 404 and "summer_school" in nothing_yet.json["detail"]
    with pytest.raises(LookupError, match=r"no review chain for kind summer_school: an admin must create one "
                                          r"\(PUT /api/v1/review-chains/summer_school\)"):
        rv.submit(kind="summer_school")
    levels = [{"role": "school_dean", "scope": "school", "days": 4},
              {"type": "decision", "role": "icd_officer", "scope": "university", "days": 6,
               "condition": {"any": [{"duration_days_over": 20}]}}]
    made = rv.call("admin", "PUT", "/api/v1/review-chains/summer_school", json={"levels": levels})
    assert made.status_code == 201 and (made.json["kind"], made.json["version"]) == ("summer_school", 1)
    assert "summer_school" in [c["kind"] for c in rv.call("dean.cs", "GET", "/api/v1/review-chains").json]
    short = rv.submit(kind="summer_school", applicant="alice", mobility={"duration_days": 14})
    task = rv.task("dean.cs", short)
    assert (task["kind"], task["level"], task["type"], task["school"]) == ("summer_school", 1, "decision", "cs")
    assert rv.decide("dean.cs", task).status_code == 201  # the ICD level does not apply to two weeks
    assert rv.count("SELECT count(*) FROM outbox WHERE type = 'review.completed'") == 1
    long = rv.submit(kind="summer_school", applicant="alice", mobility={"duration_days": 28})
    rv.decide("dean.cs", rv.task("dean.cs", long))
    assert rv.task("icd.officer", long)["level"] == 2


def test_chain_kinds_and_levels_are_checked(rv: Reviews) -> None:
    level = {"role": "icd_officer", "scope": "university", "days": 3}
    bad_name = rv.call("admin", "PUT", "/api/v1/review-chains/Summer-School", json={"levels": [level]})
    assert bad_name.status_code == 422 and "kind" in bad_name.json["errors"]
    unknown_type = rv.call("admin", "PUT", "/api/v1/review-chains/summer_school",
                           json={"levels": [{**level, "type": "lottery"}]})
    assert unknown_type.status_code == 422 and "Unknown level type lottery" in json.dumps(unknown_type.json)
    unknown_condition = rv.call("admin", "PUT", "/api/v1/review-chains/summer_school",
                                json={"levels": [{**level, "condition": {"any": [{"moon_phase": "full"}]}}]})
    assert unknown_condition.status_code == 422
    assert "known: duration_days_over, budget_over" in unknown_condition.json["detail"]
    assert rv.count("SELECT count(*) FROM review_chains WHERE kind = 'summer_school'") == 0


def test_seeding_makes_version_one_only_for_kinds_without_a_chain(rv: Reviews) -> None:
    admin_made = [{"role": "icd_officer", "scope": "university", "days": 2}]
    assert rv.call("admin", "PUT", "/api/v1/review-chains/hosted_event", json={"levels": admin_made}).status_code == 201
    defaults = {"hosted_event": [{"role": "school_dean", "scope": "school", "days": 5}],
                "summer_school": [{"role": "school_dean", "scope": "school", "days": 5}]}
    with rv.sessions() as session, session.begin():
        assert chains.seed_missing(session, defaults) == ["summer_school"]
    with rv.sessions() as session, session.begin():
        assert chains.seed_missing(session, defaults) == []
        assert chains.active_chain(session, "hosted_event").levels == admin_made  # never replaced
        seeded = chains.active_chain(session, "summer_school")
        assert (seeded.version, seeded.created_by) == (1, "system")


def test_a_student_term_long_enough_brings_the_conditional_level(rv: Reviews) -> None:
    levels = [{"role": "school_coordinator", "scope": "school", "days": 5},
              {"role": "icd_officer", "scope": "university", "days": 7,
               "condition": {"any": [{"duration_days_over": 120}]}}]
    assert rv.call("admin", "PUT", "/api/v1/review-chains/student_exchange", json={"levels": levels}).status_code == 201
    fall = rv.submit(kind="student_exchange", applicant="alice", mobility={"duration_days": 153}, duration_days=None)
    rv.decide("coord.cs", rv.task("coord.cs", fall))
    assert rv.task("icd.officer", fall)["level"] == 2


def test_a_resubmission_without_edits_starts_the_next_round_and_old_news_does_not(rv: Reviews) -> None:
    app_id = rv.submit(version=2, revision=2)
    rv.decide("coord.cs", rv.task("coord.cs", app_id))
    rv.decide("dean.cs", rv.task("dean.cs", app_id), outcome="return", comment="Sign it.")
    common = {"application_id": app_id, "kind": "faculty_exchange", "applicant": "prof.li", "applicant_name": "",
              "applicant_email": "", "locale": "zh", "school": "cs", "program_id": None, "title": "A trip",
              "version": 2, "status": "submitted", "submitted_at": datetime.now(UTC).isoformat()}
    rv.deliver("application.submitted", common, revision=2)  # the first submission, republished: old news
    assert rv.call("dean.cs", "GET", f"/api/v1/review-tasks?application_id={app_id}").json == []
    rv.deliver("application.resubmitted", common, revision=5)  # same version: the applicant edited nothing
    task = rv.task("dean.cs", app_id)
    assert (task["level"], task["round"], task["application_version"]) == (2, 2, 2)
    rv.deliver("application.resubmitted", common, revision=5)  # again: nothing more
    assert rv.count("SELECT count(*) FROM review_tasks WHERE application_id = :a", a=app_id) == 3
    assert rv.decide("dean.cs", task, version=3).status_code == 409  # v+1 is not the version under review
    assert rv.decide("dean.cs", task).status_code == 201


def test_review_events_carry_the_revision_of_the_submission_they_answer(rv: Reviews) -> None:
    """One counter per subject: an integrator who skips an application's older news (a lower aggregateversion)
    keeps the review news of the submission it has seen, in either round."""
    app_id = rv.submit(version=1, revision=2)  # created (1), submitted (2): content version 1
    rv.decide("coord.cs", rv.task("coord.cs", app_id), outcome="return", comment="Sign it.")
    common = {"application_id": app_id, "kind": "faculty_exchange", "applicant": "prof.li", "applicant_name": "",
              "applicant_email": "", "locale": "zh", "school": "cs", "program_id": None, "title": "A trip",
              "version": 1, "status": "submitted", "submitted_at": datetime.now(UTC).isoformat()}
    rv.deliver("application.resubmitted", common, revision=5)  # in review (3), returned (4), resubmitted (5)
    with rv.engine.connect() as c:
        rows = c.execute(text("SELECT type, body FROM outbox ORDER BY id")).all()
    versions = [(kind, json.loads(body)["aggregateversion"]) for kind, body in rows
                if json.loads(body)["subject"] == app_id]
    assert versions == [("review.task_created", 2), ("review.decision_recorded", 2), ("review.completed", 2),
                        ("review.task_created", 5)]
