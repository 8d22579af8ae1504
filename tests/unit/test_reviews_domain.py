"""The reviews service's rules: the conditions table, level types, the acting role, task status and versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.reviews import conditions, domain, levels
from services.reviews.models import ReviewCase, ReviewTask

NOW = datetime(2031, 6, 1, 9, 0, tzinfo=UTC)
STUDENT_CHAIN = [
    {"role": "school_coordinator", "scope": "school", "days": 5},
    {"role": "icd_officer", "scope": "university", "days": 7},
    {"role": "vice_president", "scope": "university", "days": 7, "condition": {"any": [{"duration_days_over": 120}]}},
]


def _submitted(**mobility: object) -> dict[str, object]:
    """application.submitted data for a student exchange: its duration only in the mobility facts."""
    return {"kind": "student_exchange", "version": 1, "budget": None,
            "mobility": {"direction": "outbound", "start_date": None, "end_date": None, **mobility}}


def _case(chain: list[dict] | None = None, version: int = 3) -> ReviewCase:
    return ReviewCase(application_id="a1", kind="student_exchange", program_id=None, school="cs", applicant="alice",
                      title="Berlin", chain_kind="student_exchange", chain_version=1,
                      levels=domain.applicable_levels(chain or STUDENT_CHAIN, _submitted(duration_days=153)),
                      application_version=version, revision=None, round=1, status="open", updated_at=NOW)


def test_a_student_term_long_enough_adds_the_conditional_level() -> None:
    fall_term = _submitted(duration_days=153)  # 1 Sep – 31 Jan; no top-level duration_days at all
    assert [lv["role"] for lv in domain.applicable_levels(STUDENT_CHAIN, fall_term)] == [
        "school_coordinator", "icd_officer", "vice_president"]
    assert len(domain.applicable_levels(STUDENT_CHAIN, _submitted(duration_days=90))) == 2
    assert len(domain.applicable_levels(STUDENT_CHAIN, _submitted(duration_days=None))) == 2  # no term yet


def test_conditions_read_older_events_and_compare_strictly() -> None:
    assert domain.condition_holds({"any": [{"duration_days_over": 30}]}, {"duration_days": 31})  # before mobility
    assert not domain.condition_holds({"any": [{"duration_days_over": 30}]}, {"duration_days": 30})
    mobility_first = {"duration_days": 10, "mobility": {"duration_days": 40}}
    assert domain.condition_holds({"any": [{"duration_days_over": 30}]}, mobility_first)
    assert domain.condition_holds({"any": [{"budget_over": "100"}]}, {"budget": "100.01"})
    assert not domain.condition_holds({"any": [{"budget_over": "100"}]}, {"budget": "a lot"})
    assert domain.condition_holds(None, {})


def test_every_condition_has_labels_for_the_admin_page() -> None:
    for condition in conditions.CONDITIONS.values():
        assert {"en", "zh"} <= set(condition.labels)
    assert conditions.CONDITIONS["duration_days_over"].describe(30, "zh") == "在外时间超过 30 天"


def test_unknown_conditions_and_thresholds_are_refused_naming_the_known_ones() -> None:
    level = {"role": "icd_officer", "scope": "university", "days": 3}
    with pytest.raises(domain.Invalid, match="Unknown condition 'moon_phase'; known: duration_days_over, budget_over"):
        domain.validate_levels([{**level, "condition": {"any": [{"moon_phase": "full"}]}}])
    for bad in ({"any": [{"duration_days_over": "long"}]}, {"any": [{"duration_days_over": True}]},
                {"any": [{"budget_over": "lots"}]}, {"any": [{"budget_over": "NaN"}]},
                {"any": [{"budget_over": "1", "duration_days_over": 3}]}, {"all": [{"budget_over": "1"}]}, {"any": []}):
        with pytest.raises(domain.Invalid) as refused:
            domain.validate_levels([{**level, "condition": bad}])
        assert refused.value.errors["levels"][0]
    domain.validate_levels([{**level, "condition": {"any": [{"budget_over": 50000}, {"duration_days_over": 0}]}}])


def test_a_level_is_a_decision_unless_it_names_another_known_type() -> None:
    level = {"role": "icd_officer", "scope": "university", "days": 3}
    domain.validate_levels([level, {**level, "type": "decision"}])
    with pytest.raises(domain.Invalid, match="Unknown level type 'lottery'; known: decision, publicity") as refused:
        domain.validate_levels([{**level, "type": "lottery"}])
    assert refused.value.status == 422
    with pytest.raises(domain.Invalid, match="known role"):
        domain.validate_levels([{**level, "role": "janitor"}])
    with pytest.raises(domain.Invalid):
        domain.validate_levels([])
    assert levels.of_level(level) is levels.TYPES["decision"]
    task = domain.open_task(_case(), 1, NOW)
    assert (task.type, task.role, task.school) == ("decision", "school_coordinator", "cs")


def test_a_decision_names_exactly_the_version_under_review() -> None:
    case = _case(version=3)
    task = domain.open_task(case, 1, NOW)
    for seen in (2, 4):  # v+1 was tolerated while in_review moved the version; it no longer does
        with pytest.raises(domain.Conflict, match=f"names version {seen}, but version 3 is under review"):
            domain.decide(case, task, reviewer="coord.cs", role=task.role, outcome="approve", comment=None,
                          internal_note=None, seen_version=seen, earlier=[], now=NOW)
    result = domain.decide(case, task, reviewer="coord.cs", role=task.role, outcome="approve", comment=None,
                           internal_note=None, seen_version=3, earlier=[], now=NOW)
    assert (result.next_level, result.decision.application_version) == (2, 3)


def _task(role: str = "school_dean", school: str | None = "cs", **extra: object) -> ReviewTask:
    return ReviewTask(id="t1", application_id="a1", application_version=1, kind="k", applicant="alice", round=1,
                      level=1, type="decision", role=role, school=school, status="open", due_at=NOW, created_at=NOW,
                      **extra)


def test_the_acting_role_is_the_tasks_then_the_supervisors_then_the_first_held() -> None:
    dean = {"role": "school_dean", "school": "cs"}
    assert domain.acting_role([{"role": "student"}, dean], _task()) == "school_dean"
    assert domain.acting_role([{"role": "icd_officer"}], _task(escalated_at=NOW)) == "icd_officer"
    assert domain.acting_role([{"role": "admin"}], _task()) == "admin"
    assert domain.acting_role([{"role": "school_dean", "school": "me"}, {"role": "admin"}], _task()) == "school_dean"
    assert domain.acting_role([{"role": "icd_officer", "school": "cs"}], _task("icd_officer", None)) == "icd_officer"


def test_claim_release_and_reassign_rules() -> None:
    task = _task()
    assert domain.claim(task, "dean.cs") and (task.status, task.claimed_by) == ("claimed", "dean.cs")
    assert not domain.claim(task, "dean.cs")  # mine already: nothing changes
    with pytest.raises(domain.Conflict, match="claimed by dean.cs"):
        domain.claim(task, "other")
    with pytest.raises(domain.Conflict, match="Only a task you claimed"):
        domain.release(task, "other", [{"role": "school_dean", "school": "cs"}])
    domain.release(task, "icd", [{"role": "icd_officer"}])  # a supervisor may
    assert (task.status, task.claimed_by) == ("open", None)
    with pytest.raises(domain.Forbidden, match="own application"):
        domain.claim(task, "alice")
    with pytest.raises(domain.Forbidden, match="supervisor"):
        domain.reassign(task, "zhao.cs", [{"role": "school_dean", "school": "cs"}])
    with pytest.raises(domain.Forbidden, match="own application"):
        domain.reassign(task, "alice", [{"role": "admin"}])
    domain.reassign(task, "zhao.cs", [{"role": "admin"}])
    assert (task.status, task.claimed_by) == ("claimed", "zhao.cs")
    task.status = "done"
    with pytest.raises(domain.Conflict, match="The task is done"):
        domain.reassign(task, "zhao.cs", [{"role": "admin"}])


def test_a_resubmission_is_news_by_status_and_revision_not_by_version() -> None:
    case = _case(version=3)
    case.revision = 7
    assert not domain.is_news(case, 3, 9)  # still open: the same submission again
    case.status = "changes_requested"
    assert domain.is_news(case, 3, 9)  # resubmitted without edits: same version, a later revision
    assert not domain.is_news(case, 3, 7) and not domain.is_news(case, 3, 5)  # the first submission, again
    assert domain.is_news(case, 3, None)  # news without a revision: by status, the version never going back
    assert not domain.is_news(case, 2, None)
    domain.seen(case, 9)
    domain.seen(case, 8)
    assert case.revision == 9


def test_kind_names_follow_the_catalog() -> None:
    domain.validate_kind("summer_school")
    for bad in ("Summer", "x", "9lives", "a" * 41, "summer-school", "summer_school\n"):
        with pytest.raises(domain.Invalid):
            domain.validate_kind(bad)
