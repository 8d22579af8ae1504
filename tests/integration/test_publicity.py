"""The publicity level (公示) on PostgreSQL: a chain [school coordinator, 5 working days of publicity, ICD], its
period counted on China's official calendar (National Day 2025 and its make-up Saturdays), objections pausing
it, the ICD dismissing (the period resumes) or upholding (the application goes back), the period ending by
itself in the deadline sweep, the notice's readers, the statement PDF, and a year the calendar does not know.
The clock is moved with time-machine: the API and the handlers read it; the sweep takes it as an argument.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import text

from chassis.db import make_sessionmaker
from chassis.tokens import Identity, Signer
from eventbus import envelope
from eventbus.consumer import apply
from gateway.demo import ACCOUNTS
from services.reviews import deadlines, handlers
from tests.support.service import start_service

KIND = "staff_trip_test"
CHAIN = [
    {"role": "school_coordinator", "scope": "school", "days": 5},
    {"type": "publicity", "working_days": 5, "role": "icd_officer", "scope": "university", "days": 5},
    {"role": "icd_officer", "scope": "university", "days": 5},
]
NOTICE = {
    "members": [{"name": "Li Wei", "school": "School of Computer Science", "post": "Professor"},
                {"name": "Zhao Min", "school": "School of Computer Science", "post": "Lecturer"}],
    "countries": ["DE"], "tasks": "Present a paper at the conference; visit the partner lab.",
    "schedule": [{"country": "DE", "city": "Berlin", "institution": "TU Berlin", "arrival": "2025-11-10",
                  "departure": "2025-11-15"}],
    "start_date": "2025-11-09", "end_date": "2025-11-16",
    "inviter": {"institution": "TU Berlin", "description": "Partner university"},
    "funding_source": "Research grant", "budget": "36000.00",
}
STAFF = [{"role": "school_dean", "school": "me"}]  # dean.me: staff, no part in this case's review


def at(text_: str) -> time_machine.travel:
    return time_machine.travel(datetime.fromisoformat(text_), tick=False)


class Reviews:
    def __init__(self, client: Any, signer: Signer, engine: Any) -> None:
        self.client, self.signer, self.engine = client, signer, engine
        self.sessions = make_sessionmaker(engine)

    def call(self, user: str, method: str, path: str, roles: list[dict[str, Any]] | None = None,
             name: str | None = None, **kw: Any) -> Any:
        full, school, _, demo_roles = ACCOUNTS.get(user, (user, "cs", "zh", []))
        who = Identity(username=user, roles=roles if roles is not None else demo_roles, school=school,
                       name=name or full)
        token = self.signer.sign(who, "reviews", 60)
        return self.client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    def deliver(self, event_type: str, data: dict[str, Any], revision: int) -> None:
        event = envelope.new_event(event_type, "/services/applications", data["application_id"], data,
                                   aggregateversion=revision)
        with self.sessions() as session, session.begin():
            apply(handlers.HANDLERS, session, event)

    def submission(self, application_id: str, version: int, notice: dict[str, Any] | None = NOTICE) -> dict[str, Any]:
        return {"application_id": application_id, "kind": KIND, "applicant": "prof.li", "applicant_name": "Li Wei",
                "applicant_email": "", "locale": "zh", "school": "cs", "program_id": None, "title": "Berlin",
                "version": version, "status": "submitted", "submitted_at": datetime.now(UTC).isoformat(),
                "notice": notice}

    def submit(self) -> str:
        application_id = str(uuid.uuid4())
        self.deliver("application.submitted", self.submission(application_id, 2), 2)
        return application_id

    def tasks(self, user: str, application_id: str) -> list[dict[str, Any]]:
        return self.call(user, "GET", f"/api/v1/review-tasks?application_id={application_id}").json  # type: ignore

    def decide(self, user: str, task: dict[str, Any], outcome: str = "approve", comment: str | None = None,
               **extra: Any) -> Any:
        body = {"outcome": outcome, "comment": comment, "application_version": task["application_version"], **extra}
        return self.call(user, "POST", f"/api/v1/review-tasks/{task['id']}/decision", json=body)

    def object(self, application_id: str, body: Any, user: str = "dean.me", roles: Any = None, **kw: Any) -> Any:
        return self.call(user, "POST", f"/api/v1/publicity/{application_id}/objections",
                         STAFF if roles is None and user == "dean.me" else roles, json=body, **kw)

    def notice(self, application_id: str, user: str = "dean.me") -> Any:
        return self.call(user, "GET", f"/api/v1/publicity/{application_id}", STAFF if user == "dean.me" else None)

    def sweep(self, when: str) -> None:
        with self.sessions() as session, session.begin():
            deadlines.check(session, datetime.fromisoformat(when), escalate_after_days=3, zone="Asia/Shanghai")

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as c:
            return list(c.execute(text(sql), params))

    def count(self, sql: str, **params: Any) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(text(sql), params))

    def snapshot(self, application_id: str) -> Any:
        return (self.rows("SELECT status, ends_on, remaining FROM publicity_notices WHERE application_id = :a",
                          a=application_id),
                self.rows("SELECT status FROM publicity_objections WHERE application_id = :a ORDER BY lodged_at",
                          a=application_id),
                self.rows("SELECT status, due_at FROM review_tasks WHERE application_id = :a ORDER BY level",
                          a=application_id),
                self.count("SELECT count(*) FROM outbox"))


@pytest.fixture
def rv(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Reviews]:
    service = start_service("reviews", tmp_path, pg_urls["reviews"])
    reviews = Reviews(service.client, service.signer, service.engine)
    assert reviews.call("admin", "PUT", f"/api/v1/review-chains/{KIND}", json={"levels": CHAIN}).status_code == 201
    yield reviews
    service.engine.dispose()


def pdf_text(body: bytes) -> tuple[str, list[Any]]:
    reader = PdfReader(io.BytesIO(body))
    fonts = [f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    words = "".join(page.extract_text() for page in reader.pages)
    return "".join(words.split()), fonts  # without blanks: table cells wrap lines anywhere


def embedded(font: Any) -> bool:
    """A font program embedded as TrueType (FontFile2), in the font or its descendant (Type0)."""
    for candidate in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
        descriptor = candidate.get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            return True
    return False


def test_a_publicity_period_on_working_days_objections_and_its_end(rv: Reviews) -> None:
    # Friday 26 Sep 2025, 10:00 in Beijing: level 1 approves, the period opens for 5 working days. With National
    # Day (1-8 Oct off; Sun 28 Sep and Sat 11 Oct worked) it ends on Friday 10 Oct.
    with at("2025-09-26T10:00:00+08:00"):
        app_id = rv.submit()
        assert rv.decide("coord.cs", rv.tasks("coord.cs", app_id)[0]).status_code == 201
        assert rv.rows("SELECT opened_on, ends_on, status FROM publicity_notices WHERE application_id = :a",
                       a=app_id) == [(date(2025, 9, 26), date(2025, 10, 10), "open")]
        assert rv.rows("SELECT status, type FROM review_tasks WHERE level = 2") == [("waiting", "publicity")]
        assert rv.tasks("icd.officer", app_id) == []  # waiting: in nobody's queue
        assert rv.tasks("admin", app_id) == []
        (waiting_id,) = [r[0] for r in rv.rows("SELECT id FROM review_tasks WHERE level = 2")]
        waiting = rv.call("icd.officer", "GET", f"/api/v1/review-tasks/{waiting_id}").json
        assert (waiting["status"], waiting["may_claim"], waiting["may_decide"]) == ("waiting", False, False)
        assert rv.call("icd.officer", "POST", f"/api/v1/review-tasks/{waiting_id}/claim").status_code == 409
        assert rv.call("icd.officer", "POST", f"/api/v1/review-tasks/{waiting_id}/reassign",
                       json={"username": "icd.officer"}).status_code == 409
        assert rv.count("SELECT count(*) FROM outbox WHERE type = 'publicity.opened'") == 1
        created = rv.rows("SELECT body FROM outbox WHERE type = 'review.task_created' ORDER BY id")
        assert json.loads(created[-1][0])["data"]["status"] == "waiting"  # nobody is asked to act

        # Staff read the running notices and the notice (its published content only); a student may not.
        listed = rv.call("dean.me", "GET", "/api/v1/publicity", STAFF)
        assert listed.status_code == 200 and [n["application_id"] for n in listed.json] == [app_id]
        shown = rv.notice(app_id)
        assert shown.status_code == 200
        assert (shown.json["status"], shown.json["opened_on"], shown.json["ends_on"], shown.json["working_days"]) \
            == ("open", "2025-09-26", "2025-10-10", 5)
        assert shown.json["notice"] == NOTICE and shown.json["objections"] == []
        for path in ("/api/v1/publicity", f"/api/v1/publicity/{app_id}"):
            refused = rv.call("alice", "GET", path)
            assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"
        assert rv.call("dean.me", "GET", f"/api/v1/publicity/{uuid.uuid4()}", STAFF).status_code == 404

    # A waiting task is never overdue, however long the period runs.
    rv.sweep("2025-10-08T12:00:00+00:00")
    assert rv.count("SELECT count(*) FROM outbox WHERE type IN ('review.task_overdue', 'review.task_escalated')") == 0

    # Monday 29 Sep: an objection pauses it with 3 working days left (30 Sep, 9 and 10 Oct).
    with at("2025-09-29T10:00:00+08:00"):
        before = rv.snapshot(app_id)
        for body, user, status in (({"text": "  "}, "dean.me", 422), ({}, "dean.me", 422),
                                   ({"text": "x", "objector": "someone"}, "dean.me", 422),
                                   ({"text": "x"}, "alice", 403), ({"text": "x"}, "prof.li", 403)):
            refused = rv.object(app_id, body, user)
            assert refused.status_code == status, (body, user, refused.json)
            assert refused.headers["Content-Type"] == "application/problem+json"
        assert rv.snapshot(app_id) == before  # nothing changed
        lodged = rv.object(app_id, {"text": "The trip overlaps the teaching term."}, name="Me Dean")
        assert lodged.status_code == 201 and lodged.json["status"] == "open"
        assert rv.rows("SELECT status, remaining FROM publicity_notices") == [("paused", 3)]
        again = rv.object(app_id, {"text": "Another"}, "coord.cs")
        assert again.status_code == 409 and again.headers["Content-Type"] == "application/problem+json"
        assert rv.count("SELECT count(*) FROM publicity_objections") == 1
        task = rv.tasks("icd.officer", app_id)[0]  # the objection opens the level's task in the ICD's queue
        assert (task["level"], task["status"], task["type"]) == (2, "open", "publicity")
        assert rv.count("SELECT count(*) FROM outbox WHERE type = 'publicity.objection_lodged'") == 1

        # The objector is named to the ICD only (and to the objector).
        seen = rv.notice(app_id, "coord.cs").json["objections"][0]
        assert seen["text"] == "The trip overlaps the teaching term."
        assert "objector" not in seen and "objector_name" not in seen
        assert rv.notice(app_id).json["objections"][0]["objector"] == "dean.me"
        seen = rv.notice(app_id, "icd.officer").json["objections"][0]
        assert (seen["objector"], seen["objector_name"]) == ("dean.me", "Me Dean")

        # Only the publicity outcomes, and a reason to uphold.
        before = rv.snapshot(app_id)
        assert rv.decide("icd.officer", task, "approve").status_code == 422
        assert rv.decide("icd.officer", task, "uphold_return").status_code == 422
        assert rv.decide("icd.officer", task, "uphold_reject", comment=" ").status_code == 422
        assert rv.snapshot(app_id) == before

    # Thursday 9 Oct: dismissed; the 3 days left count from the next working day: 10, 11 (make-up Sat), 13 Oct.
    with at("2025-10-09T11:00:00+08:00"):
        dismissed = rv.decide("icd.officer", task, "dismiss", comment="The term ends before the trip.")
        assert dismissed.status_code == 201 and dismissed.json["outcome"] == "dismiss"
        assert rv.rows("SELECT status, ends_on, remaining FROM publicity_notices") == \
            [("open", date(2025, 10, 13), None)]
        assert rv.rows("SELECT status FROM review_tasks WHERE level = 2") == [("waiting",)]
        assert rv.tasks("icd.officer", app_id) == []
        assert rv.count("SELECT count(*) FROM review_decisions WHERE level = 2") == 0  # the log: nothing decided
        assert rv.decide("icd.officer", task, "dismiss").status_code == 409  # waiting: nothing to decide

    # Friday 10 Oct: another objection (2 days left: 11 and 13 Oct), upheld: the application goes back.
    with at("2025-10-10T09:00:00+08:00"):
        assert rv.object(app_id, {"text": "The budget is not the one approved."}, "coord.cs").status_code == 201
        assert rv.rows("SELECT status, remaining FROM publicity_notices") == [("paused", 2)]
        task = rv.tasks("icd.officer", app_id)[0]
        upheld = rv.decide("icd.officer", task, "uphold_return", comment="Correct the budget.")
        assert upheld.status_code == 201 and upheld.json["outcome"] == "return"
        assert rv.rows("SELECT status FROM publicity_notices") == [("upheld",)]
        assert rv.rows("SELECT status, return_level FROM review_cases") == [("changes_requested", 2)]
        completed = rv.rows("SELECT body FROM outbox WHERE type = 'review.completed'")
        assert json.loads(completed[0][0])["data"]["outcome"] == "changes_requested"
        ended = rv.rows("SELECT body FROM outbox WHERE type = 'publicity.ended'")
        assert json.loads(ended[0][0])["data"]["outcome"] == "upheld"

        # The statement: the period, both objections and their outcome, the result; the CJK font embedded. For
        # the applicant, the case's reviewers, the ICD; nobody else.
        pdf = rv.call("prof.li", "GET", f"/api/v1/publicity/{app_id}/statement.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        words, fonts = pdf_text(pdf.data)
        for expected in ("公示情况说明", "2025年9月26日", "2025年10月13日", "5个工作日", "异议不成立", "异议成立",
                         "Correct the budget.", "经核查异议成立，公示未通过。"):
            assert "".join(expected.split()) in words, expected
        assert "dean.me" not in words and "Me Dean" not in words
        # reportlab lists its standard Helvetica on every page (never used here); the text's font is embedded.
        assert [str(f["/BaseFont"]) for f in fonts if not embedded(f)] == ["/Helvetica"]
        assert [f for f in fonts if embedded(f) and "WenQuanYi" in str(f["/BaseFont"])]
        assert rv.call("icd.officer", "GET", f"/api/v1/publicity/{app_id}/statement.pdf").status_code == 200
        assert rv.call("coord.cs", "GET", f"/api/v1/publicity/{app_id}/statement.pdf").status_code == 200
        for stranger in ("coord.me", "alice"):
            assert rv.call(stranger, "GET", f"/api/v1/publicity/{app_id}/statement.pdf").status_code == 404
        assert rv.object(app_id, {"text": "late"}, "coord.cs").status_code == 409  # upheld: no more objections

    # Resubmitted on Monday 20 Oct: round 2 starts at the publicity level with the new notice; 5 working days
    # end on Monday 27 Oct. The sweep ends it once that day is over in Beijing, and level 3 opens.
    with at("2025-10-20T10:00:00+08:00"):
        changed = {**NOTICE, "budget": "30000.00"}
        rv.deliver("application.resubmitted", rv.submission(app_id, 3, changed), 5)
        assert rv.rows("SELECT round, opened_on, ends_on, status FROM publicity_notices ORDER BY round") == [
            (1, date(2025, 9, 26), date(2025, 10, 13), "upheld"), (2, date(2025, 10, 20), date(2025, 10, 27), "open")]
        assert rv.notice(app_id).json["notice"]["budget"] == "30000.00"
    rv.sweep("2025-10-27T23:00:00+08:00")  # still its last day
    assert rv.rows("SELECT status FROM publicity_notices WHERE round = 2") == [("open",)]
    with at("2025-10-28T00:30:00+08:00"):
        rv.sweep("2025-10-28T00:30:00+08:00")
        assert rv.rows("SELECT status FROM publicity_notices WHERE round = 2") == [("ended",)]
        assert rv.rows("SELECT reviewer, outcome FROM review_decisions WHERE level = 2 AND round = 2") == \
            [("publicity", "approve")]
        level3 = rv.tasks("icd.officer", app_id)
        assert [(t["level"], t["round"], t["type"], t["status"]) for t in level3] == [(3, 2, "decision", "open")]
        events = [json.loads(p)["data"] for (p,) in rv.rows(
            "SELECT body FROM outbox WHERE type = 'review.decision_recorded' ORDER BY id")]
        assert (events[-1]["reviewer"], events[-1]["outcome"], events[-1]["level"]) == ("publicity", "approve", 2)
        assert json.loads(rv.rows("SELECT body FROM outbox WHERE type = 'publicity.ended' ORDER BY id")[-1][0]
                          )["data"]["outcome"] == "passed"
        rv.sweep("2025-10-28T01:30:00+08:00")  # a second sweep ends nothing twice
        assert rv.count("SELECT count(*) FROM review_tasks WHERE level = 3") == 1
        words, _ = pdf_text(rv.call("prof.li", "GET", f"/api/v1/publicity/{app_id}/statement.pdf").data)
        assert "2025年10月27日" in words and "公示通过" in words
        assert rv.call("dean.me", "GET", "/api/v1/publicity", STAFF).json == []  # none running


def test_a_year_the_calendar_does_not_know_is_not_guessed(rv: Reviews) -> None:
    chain = [CHAIN[1], CHAIN[2]]
    assert rv.call("admin", "PUT", f"/api/v1/review-chains/{KIND}", json={"levels": chain}).status_code == 201
    with at("2031-03-03T10:00:00+08:00"):
        app_id = rv.submit()
        task = rv.tasks("icd.officer", app_id)[0]  # open in the ICD's queue, with the reason on the notice
        assert (task["type"], task["status"]) == ("publicity", "open")
        assert rv.notice(app_id).status_code == 404  # not published
        blocked = rv.notice(app_id, "icd.officer").json
        assert blocked["status"] == "blocked" and blocked["opened_on"] is None
        assert blocked["reason"].startswith("No official calendar for 2031")
        assert rv.count("SELECT count(*) FROM outbox WHERE type = 'publicity.opened'") == 0
        refused = rv.decide("icd.officer", task, "dismiss")
        assert refused.status_code == 409 and "No official calendar for 2031" in refused.json["detail"]
        assert rv.object(app_id, {"text": "x"}).status_code == 404

        # An administrator enters 2031 (no holidays, say): the next sweep opens the period.
        entered = rv.call("admin", "PUT", "/api/v1/calendar/2031", json={"days": [], "demo": True})
        assert entered.status_code == 200, entered.json
        rv.sweep("2031-03-03T03:00:00+00:00")
        assert rv.rows("SELECT opened_on, ends_on, status FROM publicity_notices") == \
            [(date(2031, 3, 3), date(2031, 3, 10), "open")]
        assert rv.tasks("icd.officer", app_id) == []
        assert rv.count("SELECT count(*) FROM outbox WHERE type = 'publicity.opened'") == 1


def test_a_notice_never_published_stays_unread_after_a_withdrawal(rv: Reviews) -> None:
    assert rv.call("admin", "PUT", f"/api/v1/review-chains/{KIND}", json={"levels": [CHAIN[1]]}).status_code == 201
    with at("2031-03-03T10:00:00+08:00"):  # a year no calendar knows: the period is blocked, never opened
        app_id = rv.submit()
        rv.deliver("application.withdrawn", {**rv.submission(app_id, 2), "withdrawn_at": datetime.now(UTC).isoformat()},
                   3)
        assert rv.rows("SELECT status, opened_on FROM publicity_notices") == [("withdrawn", None)]
        assert rv.notice(app_id).status_code == 404
        assert rv.notice(app_id, "icd.officer").status_code == 200


def test_bad_publicity_levels_are_refused_and_a_withdrawal_stops_the_period(rv: Reviews) -> None:
    for bad in ({**CHAIN[1], "working_days": 0}, {**CHAIN[1], "working_days": 31},
                {k: v for k, v in CHAIN[1].items() if k != "working_days"}, {**CHAIN[1], "role": "student"}):
        refused = rv.call("admin", "PUT", f"/api/v1/review-chains/{KIND}", json={"levels": [bad]})
        assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    twice = rv.call("admin", "PUT", f"/api/v1/review-chains/{KIND}", json={"levels": [CHAIN[1], CHAIN[1]]})
    assert twice.status_code == 422  # one period per round: a second one failed the whole deadline sweep
    assert twice.json["errors"] == {"levels": ["A chain has at most one publicity level."]}
    assert rv.count("SELECT count(*) FROM review_chains WHERE kind = :k", k=KIND) == 1
    with at("2025-09-26T10:00:00+08:00"):
        app_id = rv.submit()
        rv.decide("coord.cs", rv.tasks("coord.cs", app_id)[0])
        rv.deliver("application.withdrawn", {**rv.submission(app_id, 2), "withdrawn_at": datetime.now(UTC).isoformat()},
                   3)
    assert rv.rows("SELECT status FROM review_tasks WHERE level = 2") == [("cancelled",)]
    assert rv.rows("SELECT status FROM publicity_notices") == [("withdrawn",)]
    rv.sweep("2025-10-20T00:00:00+00:00")
    assert rv.count("SELECT count(*) FROM review_tasks WHERE level = 3") == 0


def test_a_change_request_delivered_after_the_trips_cancellation_opens_no_round(rv: Reviews) -> None:
    assert rv.call("admin", "PUT", f"/api/v1/review-chains/{KIND}", json={"levels": [CHAIN[0]]}).status_code == 201
    change = {"status": "approved", "change": {"id": str(uuid.uuid4()), "number": 1, "reason": "Moved a day."}}
    cancel = {"status": "cancelled", "cancelled_at": datetime.now(UTC).isoformat(), "cancelled_by": "prof.li",
              "reason": "The conference was called off."}
    in_order, late = rv.submit(), rv.submit()
    for app_id in (in_order, late):
        assert rv.decide("coord.cs", rv.tasks("coord.cs", app_id)[0]).status_code == 201
    rv.deliver("application.change_requested", {**rv.submission(in_order, 3), **change}, 3)
    assert rv.count("SELECT count(*) FROM review_tasks WHERE application_id = :a", a=in_order) == 2
    # Redelivered from a retry after the cancellation (revision 4) was applied: stale, it changes nothing.
    rv.deliver("application.cancelled", {**rv.submission(late, 2), **cancel}, 4)
    rv.deliver("application.change_requested", {**rv.submission(late, 3), **change}, 3)
    assert rv.count("SELECT count(*) FROM review_tasks WHERE application_id = :a", a=late) == 1
    assert rv.rows("SELECT status FROM review_cases WHERE application_id = :a", a=late) != [("open",)]


def test_an_objection_longer_than_a_page_still_makes_a_statement() -> None:
    """An objection may run to 5000 characters (the API's limit): its row splits across pages."""
    from chassis.settings import Settings
    from services.reviews import publicity_statement
    period = {"opened_on": date(2025, 9, 26), "ends_on": date(2025, 10, 10), "working_days": 5, "status": "ended",
              "content": NOTICE}
    now = datetime.now(UTC)
    objection = {"text": "异议" * 2500, "lodged_at": now, "status": "dismissed", "decided_at": now,
                 "comment": "不成立。" * 500}
    body = publicity_statement.build(period, [objection, objection], font_path=Settings.from_env({}).pdf_font,
                                     zone="Asia/Shanghai", issued_at=now)
    assert len(PdfReader(io.BytesIO(body)).pages) > 2
