"""A mobility's journey after approval, driven through the gateway as its traveller and reviewers would: an
application filed and walked through its chain, its records awaited, their steps, files and reports; and the
mobilities deadline sweep run on its database with the clock the test chooses (as the worker runs it with now)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from chassis.db import make_sessionmaker
from services.mobilities import deadlines
from tests.e2e.test_review_chains import _decide, _status, _task
from tests.support import wait
from tests.support.api import PDF, Gateway
from tests.support.mobilities import PNG

ZONE = ZoneInfo("Asia/Shanghai")  # the services' day (settings.timezone)
T = TypeVar("T")
LONG = "Visited the partner laboratory and agreed a joint project on distributed systems. " * 6  # 498 chars


def today() -> date:
    """The services' today: a departure or return on it is not in the future for them."""
    return datetime.now(ZONE).date()


def approve(gw: Gateway, applicant: str, reviewers: list[str], body: dict[str, Any] | None = None,
            kind: str = "faculty_exchange") -> dict[str, Any]:
    """File (from `body`, or the kind's example), upload what it needs, submit, and have `reviewers` approve it
    level by level; the application once approved."""
    if body is None:
        application = gw.apply_and_submit(applicant, kind)
    else:
        created = gw.call(applicant, "POST", "/api/v1/applications", body)
        assert created.status_code == 201, created.text
        application = created.json()
        gw.upload_required(applicant, application)
        submitted = gw.submit(applicant, application["id"])
        assert submitted.status_code == 200, submitted.text
    for level, reviewer in enumerate(reviewers, start=1):
        _decide(gw, reviewer, _task(gw, reviewer, application["id"], level))
    return _status(gw, applicant, application["id"], "approved")


def records(gw: Gateway, user: str, application_id: str, count: int) -> list[dict[str, Any]]:
    """The application's mobility records, once the approval has reached the mobilities service."""
    def listed() -> list[dict[str, Any]]:
        r = gw.call(user, "GET", f"/api/v1/mobilities?application_id={application_id}")
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]
    return wait.until(lambda: len(found := listed()) == count and found, what=f"{count} mobility records")


def get(gw: Gateway, user: str, mobility_id: str) -> dict[str, Any]:
    r = gw.call(user, "GET", f"/api/v1/mobilities/{mobility_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def act(gw: Gateway, user: str, mobility_id: str, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
    """POST a step of the record; the record (or the problem) it answers."""
    r = gw.call(user, "POST", f"/api/v1/mobilities/{mobility_id}{path}", body if body is not None else {})
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


def upload(gw: Gateway, user: str, mobility_id: str, file_type: str) -> dict[str, Any]:
    """A PNG photo, or a PDF for any other file type."""
    content, name, mime = (PNG, "photo.png", "image/png") if file_type == "photo" else (PDF, "scan.pdf",
                                                                                       "application/pdf")
    r = gw.call(user, "POST", f"/api/v1/mobilities/{mobility_id}/files", data={"file_type": file_type},
                files={"file": (name, content, mime)})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def travel(gw: Gateway, user: str, record: dict[str, Any], on: date) -> dict[str, Any]:
    """Every checklist item ticked, departed and back on `on`."""
    for item in record["checklist"]:
        act(gw, user, record["id"], f"/checklist/{item['item']}", {"done": True})
    act(gw, user, record["id"], "/departure", {"date": on.isoformat()})
    return act(gw, user, record["id"], "/return", {"date": on.isoformat()})


def write_report(gw: Gateway, user: str, record: dict[str, Any], sections: dict[str, str], photos: int = 2,
                 attendee_list: bool = False) -> dict[str, Any]:
    """Write the report's sections, upload its photos (and attendee list), hand it in; the record after."""
    saved = gw.call(user, "PUT", f"/api/v1/mobilities/{record['id']}/report", {"sections": sections})
    assert saved.status_code == 200, saved.text
    for _ in range(photos):
        upload(gw, user, record["id"], "photo")
    if attendee_list:
        upload(gw, user, record["id"], "attendee_list")
    return act(gw, user, record["id"], "/report/submit")


def accept_report(gw: Gateway, school_reviewer: str, record: dict[str, Any]) -> dict[str, Any]:
    """The school's reviewer, then the ICD, accept the report; the record after (reported, published)."""
    act(gw, school_reviewer, record["id"], "/report/decision", {"outcome": "accept", "comment": "Complete."})
    return act(gw, "icd.officer", record["id"], "/report/decision", {"outcome": "accept", "comment": "Published."})


def sweep(engine: Engine, on: date) -> dict[str, int]:
    """One deadline sweep of the mobilities database as the worker runs it, with the clock at noon of `on`
    (the services' day)."""
    with make_sessionmaker(engine)() as session, session.begin():
        return deadlines.check(session, datetime.combine(on, time(12), ZONE).astimezone(UTC), "Asia/Shanghai")


def sweep_until(engine: Engine, on: date, done: Callable[[], T], what: str) -> T:
    """Sweep with the clock at `on` until `done()` holds: on PostgreSQL a sweep skips the records another sweep
    (the worker's own, with the real clock) holds locked, and each notice goes once, so sweeping again is safe."""
    return wait.until(lambda: (sweep(engine, on), done())[1], timeout=10, interval=0.2, what=what)


def later(on: date, days: int) -> date:
    return on + timedelta(days=days)


def outbox(engine: Engine, event_type: str, subject: str) -> list[dict[str, Any]]:
    """The data of the events of that type about `subject` in a service's outbox, oldest first."""
    with engine.connect() as c:
        rows = c.execute(text("SELECT body FROM outbox WHERE type = :t AND subject = :s ORDER BY id"),
                         {"t": event_type, "s": subject})
        return [json.loads(body)["data"] for (body,) in rows]
