"""Pure rules: the application lifecycle, the first review level, who is notified and how it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.applications import domain as applications
from services.applications import kinds
from services.applications.models import Program
from services.notifications import templates
from services.reviews import domain as reviews

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _draft(now: datetime = NOW) -> applications.Application:
    application, _ = applications.new_draft(
        kind="faculty_exchange", applicant="prof.li", applicant_name="Li Wei", applicant_email="li@example.org",
        school="cs", locale="zh", program=None, form={"purpose": "teaching", "destination_institution": "TU"},
        now=now)
    return application


def test_submit_moves_a_draft_forward_and_keeps_the_version_of_its_content() -> None:
    app = _draft()
    entry = applications.transition(app, "submitted", actor="prof.li", now=NOW)
    assert (app.status, app.version, app.revision, app.submitted_at) == ("submitted", 1, 2, NOW)
    assert (entry.from_status, entry.to_status, entry.version, entry.actor) == ("draft", "submitted", 1, "prof.li")


def test_only_the_applicants_edits_move_the_version_every_change_moves_the_revision() -> None:
    app = _draft()
    applications.edit(app, {"purpose": "conference"}, None, NOW)
    assert (app.version, app.revision, app.title) == (2, 2, "Conference abroad (draft)")
    for step in ("submitted", "in_review", "changes_requested"):
        applications.transition(app, step, actor="x", now=NOW)
    assert (app.version, app.revision) == (2, 5)
    applications.edit(app, {"purpose": "teaching"}, None, NOW)
    assert (app.version, app.revision) == (3, 6)


def test_a_submitted_application_cannot_be_submitted_again_or_edited() -> None:
    app = _draft()
    applications.transition(app, "submitted", actor="prof.li", now=NOW)
    with pytest.raises(applications.TransitionError, match="status 'submitted'"):
        applications.transition(app, "submitted", actor="prof.li", now=NOW)
    with pytest.raises(applications.TransitionError, match="cannot be edited"):
        applications.edit(app, {}, None, NOW)
    assert app.version == 1


def test_withdrawal_from_any_open_state_and_never_from_a_final_one() -> None:
    for path in ([], ["submitted"], ["submitted", "in_review"], ["submitted", "in_review", "changes_requested"]):
        app = _draft()
        for step in path:
            applications.transition(app, step, actor="x", now=NOW)
        applications.transition(app, "withdrawn", actor="prof.li", now=NOW)
        assert app.status == "withdrawn"
    for final in ("approved", "rejected"):
        app = _draft()
        applications.transition(app, "submitted", actor="x", now=NOW)
        applications.transition(app, final, actor="x", now=NOW)
        with pytest.raises(applications.TransitionError):
            applications.transition(app, "withdrawn", actor="prof.li", now=NOW)


def test_a_stale_or_missing_version_is_a_conflict() -> None:
    app = _draft()
    applications.check_version(app, 1)
    with pytest.raises(applications.VersionConflict, match="you saw version 0"):
        applications.check_version(app, 0)
    with pytest.raises(applications.VersionConflict, match="If-Match"):
        applications.check_version(app, None)


def test_review_starts_only_for_the_version_that_was_submitted() -> None:
    app = _draft()
    applications.edit(app, {"purpose": "conference"}, None, NOW)  # v2
    applications.transition(app, "submitted", actor="prof.li", now=NOW)
    assert applications.start_review(app, seen_version=1, now=NOW) is None  # stale news
    assert app.status == "submitted"
    assert applications.start_review(app, seen_version=2, now=NOW) is not None
    assert (app.status, app.version, app.revision) == ("in_review", 2, 4)  # the saga's step: same version
    assert applications.start_review(app, seen_version=2, now=NOW) is None  # again: no effect


def test_a_review_outcome_applies_once_and_not_after_withdrawal() -> None:
    app = _draft()
    applications.transition(app, "submitted", actor="prof.li", now=NOW)  # v1
    applications.start_review(app, 1, NOW)  # still v1
    assert applications.complete_review(app, "approved", 2, actor="icd.officer", comment=None, now=NOW) is None
    assert applications.complete_review(app, "approved", 1, actor="icd.officer", comment=None, now=NOW)
    assert (app.status, app.version) == ("approved", 1)
    assert applications.complete_review(app, "rejected", 1, actor="icd.officer", comment=None, now=NOW) is None
    withdrawn = _draft()
    applications.transition(withdrawn, "submitted", actor="x", now=NOW)
    applications.transition(withdrawn, "withdrawn", actor="x", now=NOW)
    assert applications.complete_review(withdrawn, "approved", 1, actor="x", comment=None, now=NOW) is None


def test_date_rules_future_order_and_duration() -> None:
    kind = kinds.get("hosted_event")
    today = NOW.date()
    past = {"start_date": today - timedelta(days=1), "end_date": today + timedelta(days=1)}
    assert set(applications.rule_errors(kind, past, None, today)) == {"start_date"}
    backwards = {"start_date": today + timedelta(days=10), "end_date": today + timedelta(days=9)}
    assert "before the start" in applications.rule_errors(kind, backwards, None, today)["end_date"]
    too_long = {"start_date": today + timedelta(days=10), "end_date": today + timedelta(days=40)}
    assert "at most 30 days" in applications.rule_errors(kind, too_long, None, today)["end_date"]
    fine = {"start_date": today + timedelta(days=10), "end_date": today + timedelta(days=39)}
    assert applications.rule_errors(kind, fine, None, today) == {}


def test_the_window_is_open_between_its_instants() -> None:
    program = Program(id="p", code="c", name="Berlin 2031", kind="student_exchange", seats=1,
                      opens_at=NOW, closes_at=NOW + timedelta(days=30))
    applications.check_window(program, NOW)
    with pytest.raises(applications.WindowClosed, match="open on"):
        applications.check_window(program, NOW - timedelta(seconds=1))
    with pytest.raises(applications.WindowClosed, match="closed on"):
        applications.check_window(program, NOW + timedelta(days=30))


FACULTY_CHAIN = [  # the faculty exchange's default chain (the kind's, seeded into the reviews service)
    {"role": "school_coordinator", "scope": "school", "days": 5},
    {"role": "school_dean", "scope": "school", "days": 5},
    {"role": "icd_officer", "scope": "university", "days": 7},
    {"role": "vice_president", "scope": "university", "days": 7,
     "condition": {"any": [{"duration_days_over": 30}, {"budget_over": "50000.00"}]}},
]


def _case(kind: str = "faculty_exchange", facts: dict | None = None) -> reviews.ReviewCase:
    levels = reviews.applicable_levels(FACULTY_CHAIN, facts or {"duration_days": 10, "budget": "100"})
    return reviews.ReviewCase(application_id="a1", kind=kind, program_id=None, school="cs", applicant="prof.li",
                              title="Trip", chain_kind=kind, chain_version=1, levels=levels, application_version=2,
                              round=1, status="open", updated_at=NOW)


def test_the_conditional_level_appears_only_when_its_condition_holds() -> None:
    assert [lv["role"] for lv in _case().levels] == ["school_coordinator", "school_dean", "icd_officer"]
    long_trip = _case(facts={"duration_days": 31, "budget": "100"})
    assert [lv["role"] for lv in long_trip.levels][-1] == "vice_president"
    costly = _case(facts={"duration_days": 5, "budget": "50000.01"})
    assert len(costly.levels) == 4
    assert len(_case(facts={"duration_days": 30, "budget": "50000.00"}).levels) == 3  # "over", not "at least"


def test_first_task_is_the_school_coordinator_with_a_due_date() -> None:
    task = reviews.open_task(_case(), 1, NOW)
    assert (task.level, task.role, task.school, task.status) == (1, "school_coordinator", "cs", "open")
    assert task.due_at == NOW + timedelta(days=5)
    assert reviews.open_task(_case(), 3, NOW).school is None  # the ICD level is university-wide


def _decide(case, task, reviewer, outcome="approve", comment=None, version=2, earlier=()):  # type: ignore[no-untyped-def]
    return reviews.decide(case, task, reviewer=reviewer, role=task.role, outcome=outcome, comment=comment,
                          internal_note=None, seen_version=version, earlier=list(earlier), now=NOW)


def test_decisions_walk_the_chain_and_complete_it() -> None:
    case = _case()
    first = _decide(case, reviews.open_task(case, 1, NOW), "coord.cs")
    assert (first.next_level, first.completed) == (2, None)
    second = _decide(case, reviews.open_task(case, 2, NOW), "dean.cs", earlier=[first.decision])
    last = _decide(case, reviews.open_task(case, 3, NOW), "icd.officer", earlier=[first.decision, second.decision])
    assert (last.next_level, last.completed, case.status) == (None, "approved", "approved")


def test_a_return_completes_the_round_and_the_next_round_starts_where_it_returned() -> None:
    case = _case()
    _decide(case, reviews.open_task(case, 1, NOW), "coord.cs")
    returned = _decide(case, reviews.open_task(case, 2, NOW), "dean.cs", outcome="return", comment="Budget?")
    assert returned.completed == "changes_requested" and case.return_level == 2
    assert reviews.restart(case, 4, NOW) == 2 and (case.round, case.application_version) == (2, 4)


def test_decision_rules() -> None:
    case = _case()
    task = reviews.open_task(case, 1, NOW)
    with pytest.raises(reviews.Conflict, match="version 1"):
        _decide(case, task, "coord.cs", version=1)
    with pytest.raises(reviews.Forbidden, match="own application"):
        _decide(case, task, "prof.li")
    with pytest.raises(reviews.Invalid):
        _decide(case, task, "coord.cs", outcome="reject")
    done = _decide(case, task, "coord.cs")
    with pytest.raises(reviews.Conflict, match="decided already"):
        _decide(case, task, "coord.cs")
    with pytest.raises(reviews.Forbidden, match="another level"):
        _decide(case, reviews.open_task(case, 2, NOW), "coord.cs", earlier=[done.decision])
    claimed = reviews.open_task(case, 2, NOW)
    claimed.claimed_by = "dean.cs"
    with pytest.raises(reviews.Forbidden, match="claimed by dean.cs"):
        _decide(case, claimed, "someone.else")


def test_overdue_once_a_day_and_escalation_after_the_grace_days() -> None:
    task = reviews.open_task(_case(), 1, NOW)  # due NOW + 5 days
    assert reviews.deadline_actions(task, NOW + timedelta(days=4), 3) == (False, False)
    later = task.due_at + timedelta(hours=1)
    assert reviews.deadline_actions(task, later, 3) == (True, False)
    task.overdue_notified_on = later.date()
    assert reviews.deadline_actions(task, later + timedelta(minutes=5), 3) == (False, False)
    assert reviews.deadline_actions(task, task.due_at + timedelta(days=3), 3) == (True, True)


def test_templates_follow_the_locale_and_fall_back_to_chinese() -> None:
    data = {"application_id": "a1", "title": "Berlin"}
    assert templates.render("application.submitted", "en", data, "https://m.example").subject.startswith("Application")
    assert templates.render("application.submitted", "fr", data, "https://m.example").subject.startswith("申请")


def test_links_use_the_configured_public_base_url() -> None:
    rendered = templates.render("application.submitted", "en", {"application_id": "a1"}, "https://m.example")
    assert rendered.link == "https://m.example/applications/a1"
    assert rendered.link in rendered.body


def test_a_chain_condition_must_be_one_we_know() -> None:
    good = [{"role": "icd_officer", "scope": "university", "days": 3, "condition": {"any": [{"budget_over": "1"}]}}]
    reviews.validate_levels(good)
    for condition in ({"all": []}, {"any": []}, {"any": [{"moon_phase": "full"}]}):
        with pytest.raises(reviews.Invalid):
            reviews.validate_levels([{**good[0], "condition": condition}])
