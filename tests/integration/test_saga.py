"""The saga's applications side on RabbitMQ and PostgreSQL: review.completed moves the status once, even
when delivered twice, and the matching application.* event is published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from chassis.worker import bus_components
from eventbus import catalog, envelope
from eventbus.broker import Publisher, connect
from eventbus.consumer import Consumer, apply
from services.applications.handlers import HANDLERS
from services.applications.models import Application
from tests.support import wait
from tests.support.service_api import Api


def _completed(application: dict[str, Any], outcome: str, version: int) -> Any:
    return envelope.new_event("review.completed", "/services/reviews", application["id"], {
        "application_id": application["id"], "application_version": version, "outcome": outcome, "level": 1,
        "comment": "Please attach the budget breakdown." if outcome == "changes_requested" else "Fine.",
        "decided_by": "icd.officer", "decided_at": datetime.now(UTC).isoformat()})


@pytest.fixture
def consumer(api: Api, amqp_url: str, running):  # type: ignore[no-untyped-def]
    from chassis.settings import Settings

    settings = Settings.from_env({"MOBILITY_BROKER_URL": amqp_url, "MOBILITY_RETRY_DELAY_MS": "200"})
    consumer = next(c for c in bus_components("applications", settings, api.engine, HANDLERS)
                    if isinstance(c, Consumer))
    running(consumer)
    assert consumer.ready.wait(15)
    return amqp_url


def _deliver_twice(broker_url: str, event: Any) -> None:
    with connect(broker_url) as connection:
        publisher = Publisher(connection)
        for _ in range(2):
            publisher.publish(envelope.to_json(event), routing_key="review.completed", message_id=event.get_id())


def _status(api: Api, application_id: str) -> str:
    with api.engine.connect() as c:
        return str(c.scalar(text("SELECT status FROM applications WHERE id = :id"), {"id": application_id}))


@pytest.mark.parametrize("outcome", ["approved", "rejected", "changes_requested"])
def test_review_completed_moves_the_status_once_and_announces_it(api: Api, consumer: str, outcome: str) -> None:
    application = api.ready("prof.li", "faculty_exchange")
    submitted = api.submit("prof.li", application).json
    event = _completed(application, outcome, submitted["version"])
    _deliver_twice(consumer, event)
    wait.until(lambda: _status(api, application["id"]) == outcome, what=f"status {outcome}")
    sentinel = _completed(application, "approved", submitted["version"])  # a later, different decision
    _deliver_twice(consumer, sentinel)
    wait.until(lambda: api.count("SELECT count(*) FROM inbox WHERE event_type = 'review.completed'") == 2,
               what="both decisions seen")
    assert _status(api, application["id"]) == outcome  # the second decision is stale news
    assert api.count(f"SELECT count(*) FROM outbox WHERE type = 'application.{outcome}'") == 1
    history = api.call("prof.li", "GET", f"/api/v1/applications/{application['id']}/history").json
    assert [h["to_status"] for h in history].count(outcome) == 1
    assert history[-1]["actor"] == "icd.officer"


def test_changes_requested_lets_the_applicant_fix_and_resubmit(api: Api, consumer: str) -> None:
    application = api.ready("prof.li", "faculty_exchange")
    submitted = api.submit("prof.li", application).json
    _deliver_twice(consumer, _completed(application, "changes_requested", submitted["version"]))
    wait.until(lambda: _status(api, application["id"]) == "changes_requested", what="changes requested")
    current = api.call("prof.li", "GET", f"/api/v1/applications/{application['id']}").json
    path = f"/api/v1/applications/{application['id']}"
    fixed = api.call("prof.li", "PATCH", path, version=current["version"], json={"form": {"budget": "36000"}})
    assert fixed.status_code == 200
    again = api.submit("prof.li", fixed.json)
    assert again.status_code == 200 and again.json["status"] == "submitted"
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.resubmitted'") == 1


def _task_created(application: dict[str, Any], version: int) -> Any:
    example = catalog.schema("review.task_created")["x-asyncapi"]["examples"][0]["data"]  # a whole task
    return envelope.new_event("review.task_created", "/services/reviews", application["id"], {
        **example, "application_id": application["id"], "application_version": version})


def test_the_review_start_reads_no_program_yet_a_later_reader_still_gets_it(api: Api) -> None:
    """review.task_created, which every submission brings, moves the status without reading the program and its
    partners; a reader later in the same transaction (the batch's next event, say) still gets the program."""
    application = api.ready("alice", "student_exchange")
    submitted = api.submit("alice", application).json
    statements: list[str] = []

    def seen(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(api.engine, "before_cursor_execute", seen)
    try:
        with Session(api.engine) as session, session.begin():
            apply(HANDLERS, session, _task_created(application, submitted["version"]))
            session.flush()
            started = list(statements)
            later = session.get(Application, application["id"])
            assert later is not None and later.program is not None
            assert later.program.id == application["program_id"] and later.program.partners
    finally:
        event.remove(api.engine, "before_cursor_execute", seen)
    assert started and not [s for s in started if "programs" in s or "partners" in s], started
    assert [s for s in statements[len(started):] if "FROM programs" in s]  # asked for: loaded then
    assert _status(api, application["id"]) == "in_review"


def test_the_review_step_keeps_the_version_so_the_decision_names_exactly_what_was_submitted(
    api: Api, consumer: str
) -> None:
    application = api.ready("prof.li", "faculty_exchange")
    submitted = api.submit("prof.li", application).json
    opened = _task_created(application, submitted["version"])
    with connect(consumer) as connection:
        Publisher(connection).publish(envelope.to_json(opened), routing_key="review.task_created",
                                      message_id=opened.get_id())
    wait.until(lambda: _status(api, application["id"]) == "in_review", what="in review")
    path = f"/api/v1/applications/{application['id']}"
    assert api.call("prof.li", "GET", path).headers["ETag"] == f'"{submitted["version"]}"'
    _deliver_twice(consumer, _completed(application, "approved", submitted["version"] + 1))  # no "v or v+1"
    _deliver_twice(consumer, _completed(application, "approved", submitted["version"]))
    wait.until(lambda: _status(api, application["id"]) == "approved", what="approved")
    with api.engine.connect() as c:
        revision = c.scalar(text("SELECT revision FROM applications WHERE id = :id"), {"id": application["id"]})
    assert (revision, api.call("prof.li", "GET", path).json["version"]) == (4, submitted["version"])
