"""GET /api/v1/review-cases/<id>/progress on PostgreSQL: the applicant's tracker (levels, due date, round,
the last return comment without the internal note), readable by the applicant and reviewers in scope only."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.test_reviews_api import Reviews, rv  # noqa: F401 - fixture


def progress(reviews: Reviews, user: str, app_id: str) -> dict:  # type: ignore[type-arg]
    reply = reviews.call(user, "GET", f"/api/v1/review-cases/{app_id}/progress")
    assert reply.status_code == 200, reply.json
    return reply.json  # type: ignore[no-any-return]


def test_the_applicant_sees_the_level_its_role_and_due_date(rv: Reviews) -> None:  # noqa: F811
    app_id = rv.submit()
    first = progress(rv, "prof.li", app_id)
    assert [(lv["role"], lv["status"]) for lv in first["levels"]] == [
        ("school_coordinator", "current"), ("school_dean", "pending"), ("icd_officer", "pending")]
    task = rv.task("coord.cs", app_id)
    assert first["current_level"] == 1 and first["round"] == 1 and first["last_return"] is None
    assert first["due_at"][:19] == task["due_at"][:19] and first["levels"][0]["due_at"] == first["due_at"]
    rv.decide("coord.cs", task)
    second = progress(rv, "prof.li", app_id)
    assert [lv["status"] for lv in second["levels"]] == ["done", "current", "pending"]
    assert progress(rv, "dean.cs", app_id)["current_level"] == 2  # a reviewer in scope reads it too


def test_the_last_return_comment_without_the_internal_note(rv: Reviews) -> None:  # noqa: F811
    app_id = rv.submit()
    rv.decide("coord.cs", rv.task("coord.cs", app_id))
    rv.decide("dean.cs", rv.task("dean.cs", app_id), outcome="return", comment="Budget?", internal_note="tight")
    returned = progress(rv, "prof.li", app_id)
    assert returned["status"] == "changes_requested" and returned["current_level"] is None
    assert returned["last_return"]["comment"] == "Budget?" and returned["last_return"]["role"] == "school_dean"
    assert "tight" not in str(returned)
    rv.deliver("application.resubmitted", {
        "application_id": app_id, "kind": "faculty_exchange", "applicant": "prof.li", "applicant_name": "",
        "applicant_email": "", "locale": "zh", "school": "cs", "program_id": None, "title": "A trip", "version": 5,
        "status": "submitted", "submitted_at": datetime.now(UTC).isoformat()})
    again = progress(rv, "prof.li", app_id)
    assert again["round"] == 2 and [lv["status"] for lv in again["levels"]] == ["done", "current", "pending"]


def test_nobody_else_reads_it(rv: Reviews) -> None:  # noqa: F811
    app_id = rv.submit()
    for stranger in ("alice", "coord.me"):  # another applicant; a coordinator of another school
        assert rv.call(stranger, "GET", f"/api/v1/review-cases/{app_id}/progress").status_code == 404
    assert rv.call("prof.li", "GET", "/api/v1/review-cases/00000000-0000-4000-8000-000000000000/progress"
                   ).status_code == 404
