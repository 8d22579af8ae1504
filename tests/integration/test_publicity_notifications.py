"""Who hears of a publicity period (公示), on PostgreSQL: the applicant when it opens and ends (with a link to the
application, not to the reviewers' task), the ICD officers when someone objects; nobody is asked to act on the
level's task while it waits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from services.notifications.handlers import handlers_for
from tests.support.service import start_service

PEOPLE = {
    "prof.li": ("en", [{"role": "teacher", "school": "cs"}]),
    "icd.officer": ("zh", [{"role": "icd_officer", "school": None}]),
    "icd.two": ("en", [{"role": "icd_officer", "school": None}]),
    "coord.cs": ("zh", [{"role": "school_coordinator", "school": "cs"}]),
}
BASE = "https://mobility.example.edu"


class Notifications:
    def __init__(self, engine: Any, handlers: Any) -> None:
        self.engine, self.handlers = engine, handlers
        self.sessions = make_sessionmaker(engine)

    def deliver(self, event_type: str, source: str, data: dict[str, Any]) -> None:
        with self.sessions() as session, session.begin():
            apply(self.handlers, session, envelope.new_event(event_type, source, data.get("application_id", "x"), data))

    def inbox(self) -> list[tuple[str, str, str, str]]:
        with self.engine.connect() as c:
            return [tuple(r) for r in c.execute(text(  # type: ignore[misc]
                "SELECT event_type, recipient, subject, link FROM notifications WHERE channel = 'inbox' "
                "ORDER BY event_type, recipient"))]


@pytest.fixture
def nt(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Notifications]:
    service = start_service("notifications", tmp_path, pg_urls["notifications"], MOBILITY_PUBLIC_BASE_URL=BASE)
    n = Notifications(service.engine, handlers_for(service.settings))
    for user, (locale, roles) in PEOPLE.items():
        n.deliver("user.registered", "/services/gateway", {
            "username": user, "email": f"{user}@example.org", "locale": locale, "roles": roles, "school": "cs"})
    yield n
    service.engine.dispose()


def test_the_applicant_hears_of_the_period_and_the_icd_of_objections(nt: Notifications) -> None:
    app_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    common = {"application_id": app_id, "application_version": 2, "kind": "faculty_exchange", "round": 1,
              "task_id": task_id, "applicant": "prof.li", "title": "Berlin", "working_days": 5,
              "opened_on": "2025-09-26", "ends_on": "2025-10-10", "status": "open"}
    nt.deliver("review.task_created", "/services/reviews", {
        "task_id": task_id, "application_id": app_id, "application_version": 2, "kind": "faculty_exchange",
        "round": 1, "level": 2, "role": "icd_officer", "school": None, "applicant": "prof.li", "title": "Berlin",
        "due_at": "2025-10-10T16:00:00+00:00", "status": "waiting"})
    assert nt.inbox() == []  # a waiting task asks nobody to act
    nt.deliver("publicity.opened", "/services/reviews", common)
    nt.deliver("publicity.objection_lodged", "/services/reviews", {
        **common, "status": "paused", "objection_id": str(uuid.uuid4()), "lodged_at": "2025-09-29T02:00:00+00:00",
        "remaining_working_days": 3})
    nt.deliver("publicity.ended", "/services/reviews", {**common, "status": "ended", "outcome": "passed",
                                                         "ended_at": "2025-10-10T16:01:00+00:00"})
    application, task = f"{BASE}/applications/{app_id}", f"{BASE}/tasks/{task_id}?application={app_id}"
    assert nt.inbox() == [
        ("publicity.ended", "prof.li", "Publicity period ended: Berlin", application),
        ("publicity.objection_lodged", "icd.officer", "公示收到异议：Berlin", task),
        ("publicity.objection_lodged", "icd.two", "Objection to a publicised trip: Berlin", task),
        ("publicity.opened", "prof.li", "Publicity period begun: Berlin", application),
    ]
