"""Pure rules: the application lifecycle, the first review level, who is notified and how it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.applications import domain as applications
from services.notifications import templates
from services.reviews import domain as reviews

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _draft() -> applications.Application:
    return applications.new_draft(kind="student_exchange", applicant="alice", school="cs", locale="en",
                                  title="Berlin", data={"program": "p", "motivation": "m"}, now=NOW)


def test_submit_moves_a_draft_forward_and_bumps_the_version() -> None:
    app = _draft()
    applications.submit(app, NOW)
    assert (app.status, app.version, app.submitted_at) == ("submitted", 2, NOW)


def test_a_submitted_application_cannot_be_submitted_again() -> None:
    app = _draft()
    applications.submit(app, NOW)
    with pytest.raises(applications.TransitionError, match="status 'submitted'"):
        applications.submit(app, NOW)
    assert app.version == 2


def test_review_starts_only_for_the_version_that_was_submitted() -> None:
    app = _draft()
    applications.submit(app, NOW)
    assert applications.start_review(app, seen_version=1, now=NOW) is False  # stale news
    assert app.status == "submitted"
    assert applications.start_review(app, seen_version=2, now=NOW) is True
    assert (app.status, app.version) == ("in_review", 3)
    assert applications.start_review(app, seen_version=2, now=NOW) is False  # again: no effect


def test_first_review_level_is_the_school_coordinator_with_a_due_date() -> None:
    task = reviews.open_first_task({"application_id": "a", "version": 2, "kind": "student_exchange",
                                    "applicant": "alice", "school": "cs", "title": "Berlin"}, NOW)
    assert (task.level, task.role, task.school, task.status) == (1, "school_coordinator", "cs", "open")
    assert task.due_at == NOW + timedelta(days=5)


def test_templates_follow_the_locale_and_fall_back_to_chinese() -> None:
    data = {"application_id": "a1", "title": "Berlin"}
    assert templates.render("application.submitted", "en", data, "https://m.example").subject.startswith("Application")
    assert templates.render("application.submitted", "fr", data, "https://m.example").subject.startswith("申请")


def test_links_use_the_configured_public_base_url() -> None:
    rendered = templates.render("application.submitted", "en", {"application_id": "a1"}, "https://m.example")
    assert rendered.link == "https://m.example/applications/a1"
    assert rendered.link in rendered.body
