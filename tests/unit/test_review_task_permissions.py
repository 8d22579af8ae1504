"""What the task page may offer (may_claim, may_decide) follows the rules decide() applies, and a late
decision is refused with who decided and when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.reviews import domain as reviews
from tests.unit.test_domain import NOW, _case, _decide

COORD = [{"role": "school_coordinator", "school": "cs"}]
ICD = [{"role": "icd_officer", "school": None}]
ME = [{"role": "school_coordinator", "school": "me"}]


def test_an_unclaimed_task_may_be_claimed_and_decided_by_anyone_in_scope() -> None:
    task = reviews.open_task(_case(), 1, NOW)
    assert reviews.may_claim(task, "coord.cs", COORD) and reviews.may_decide(task, "coord.cs", COORD)
    assert not reviews.may_claim(task, "coord.me", ME) and not reviews.may_decide(task, "coord.me", ME)
    assert not reviews.may_decide(task, "prof.li", COORD)  # nobody reviews their own application


def test_a_claimed_task_is_decided_by_its_claimer_or_once_escalated_by_the_supervisor() -> None:
    task = reviews.open_task(_case(), 1, NOW)
    reviews.claim(task, "coord.cs")
    assert reviews.may_decide(task, "coord.cs", COORD) and not reviews.may_claim(task, "coord.cs", COORD)
    assert not reviews.may_decide(task, "coord2.cs", COORD) and not reviews.may_claim(task, "coord2.cs",
                                                                                            COORD)
    assert not reviews.may_decide(task, "icd.officer", ICD)
    task.escalated_at = NOW + timedelta(days=8)
    assert reviews.may_decide(task, "icd.officer", ICD)


def test_a_late_decision_names_who_decided_and_when() -> None:
    case = _case()
    task = reviews.open_task(case, 1, NOW)
    _decide(case, task, "coord.cs")
    assert not reviews.may_decide(task, "coord2.cs", COORD)
    with pytest.raises(reviews.Conflict, match="decided already, by coord.cs at 2026-11-28 09:00 UTC; your "
                                               "decision was not recorded") as refused:
        _decide(case, task, "coord2.cs", outcome="return", comment="Too late")
    assert refused.value.details == {"decided_by": "coord.cs", "decided_at": NOW.isoformat(), "outcome": "approved"}
