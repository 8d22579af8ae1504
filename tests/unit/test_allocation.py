"""The allocation on its own: the worked example of docs/selection-worked-example.md step by step (the first run,
a decline that cascades down the waiting lists, a corrected interview score with accepted offers fixed), the
same result from the same inputs in any order, excluded pairs, fixed places over capacity, a student with no
choice left, and the differences the service turns into offers."""

from __future__ import annotations

import random

import pytest

from services.placements.allocation import Allocation, Change, allocate, changes
from tests.unit.test_ranking import CHOICES, PLACES, example_ranking

FIRST = {"S03": "P1", "S07": "P1", "S01": "P2", "S10": "P2", "S05": "P3", "S12": "P3", "S02": "P4",
         "S08": None, "S04": None, "S11": None, "S06": None, "S09": None}


def first_run() -> Allocation:
    return allocate(example_ranking(), CHOICES, PLACES)


def after_decline() -> Allocation:
    """(a) S03 and S10 have accepted; S07 declines P1."""
    return allocate(example_ranking(), CHOICES, PLACES, fixed={"S03": "P1", "S10": "P2"}, excluded={"S07"})


def after_score_change(fixed: dict[str, str] | None = None) -> Allocation:
    """(b) S01 and S02 have accepted their offers too; S09's interview is corrected from 48 to 84."""
    if fixed is None:
        fixed = {"S03": "P1", "S10": "P2", "S01": "P1", "S02": "P4"}
    return allocate(example_ranking(S09="84"), CHOICES, PLACES, fixed=fixed, excluded={"S07"})


def test_the_first_run_of_the_worked_example() -> None:
    run = first_run()
    assert run.assignment == FIRST
    assert list(run.assignment) == example_ranking()  # in rank order
    assert run.waiting == {"P1": ["S01", "S05", "S08", "S06"], "P2": ["S05", "S12", "S08", "S11"],
                           "P3": ["S04", "S06", "S09"], "P4": ["S04", "S09"]}
    assert run.unplaced == ["S08", "S04", "S11", "S06", "S09"]
    assert run.notes == []
    assert {p: run.holders(p) for p in PLACES} == {"P1": ["S03", "S07"], "P2": ["S01", "S10"],
                                                  "P3": ["S05", "S12"], "P4": ["S02"]}


def test_a_decline_moves_the_waiting_lists_in_a_cascade() -> None:
    before, after = first_run(), after_decline()
    assert after.assignment == {"S03": "P1", "S01": "P1", "S10": "P2", "S05": "P2", "S12": "P3", "S02": "P4",
                                "S08": None, "S04": "P3", "S11": None, "S06": None, "S09": None}
    assert after.waiting == {"P1": ["S05", "S08", "S06"], "P2": ["S12", "S08", "S11"], "P3": ["S06", "S09"],
                             "P4": ["S09"]}
    assert after.unplaced == ["S08", "S11", "S06", "S09"]
    # Each move is the head of the waiting list of the place just freed: P1 → S01, P2 → S05, P3 → S04.
    assert before.waiting["P1"][0] == "S01" and before.waiting["P2"][0] == "S05"
    assert before.waiting["P3"][0] == "S04"
    assert changes(before, after) == [Change("S01", "P2", "P1", "changes"), Change("S05", "P3", "P2", "changes"),
                                      Change("S04", None, "P3", "gains"), Change("S07", "P1", None, "loses")]


def test_a_changed_interview_score_reruns_with_the_accepted_offers_fixed() -> None:
    before, after = after_decline(), after_score_change()
    assert after.assignment == {"S03": "P1", "S01": "P1", "S10": "P2", "S05": "P2", "S09": "P3", "S12": "P3",
                                "S02": "P4", "S08": None, "S04": None, "S11": None, "S06": None}
    assert after.waiting == {"P1": ["S05", "S08", "S06"], "P2": ["S12", "S08", "S11"], "P3": ["S04", "S06"],
                             "P4": ["S09", "S04"]}
    assert after.unplaced == ["S08", "S04", "S11", "S06"]
    assert changes(before, after) == [Change("S09", None, "P3", "gains"), Change("S04", "P3", None, "loses")]
    # Without S02's accepted place, S09 (now ranked above S02) would have taken P4 and S02 would be left out.
    unfixed = after_score_change(fixed={"S03": "P1", "S10": "P2", "S01": "P1"})
    assert (unfixed.assignment["S09"], unfixed.assignment["S02"], unfixed.assignment["S04"]) == ("P4", None, "P3")


def test_the_same_inputs_give_the_same_result_in_any_order() -> None:
    reference = after_decline().as_json()
    for seed in range(5):
        rng = random.Random(seed)
        choices, places = list(CHOICES.items()), list(PLACES.items())
        fixed = [("S10", "P2"), ("S03", "P1")]
        rng.shuffle(choices)
        rng.shuffle(places)
        rng.shuffle(fixed)
        again = allocate(example_ranking(), dict(choices), dict(places), fixed=dict(fixed), excluded={"S07"})
        assert again.as_json() == reference
        assert list(again.as_json()["assignment"]) == list(reference["assignment"])
        assert list(again.waiting) == ["P1", "P2", "P3", "P4"]


def test_the_recorded_result_reads_back() -> None:
    run = after_score_change()
    assert Allocation.from_json(run.as_json()) == run


def test_an_excluded_pair_passes_the_partner_over_and_keeps_the_student_off_its_list() -> None:
    # P1 rejected S07's nomination: S07 goes on to P3, and S01 and S05 each get the choice above the one they had.
    run = allocate(example_ranking(), CHOICES, PLACES, excluded_pairs={("S07", "P1")})
    assert (run.assignment["S07"], run.assignment["S01"], run.assignment["S05"]) == ("P3", "P1", "P2")
    assert "S07" not in run.waiting["P1"]
    # A fixed pair that is excluded is not fixed: the rejection came after the nomination.
    run = allocate(["a", "b"], {"a": ["X", "Y"], "b": ["X"]}, {"X": 1, "Y": 1}, fixed={"a": "X"},
                   excluded_pairs={("a", "X")})
    assert run.assignment == {"a": "Y", "b": "X"}
    assert run.notes == ["a was fixed at X but the pair is excluded: the place is freed"]


def test_fixed_places_over_capacity_are_all_kept_and_noted() -> None:
    run = allocate(["a", "b", "c", "d"], {"a": ["X"], "b": ["X"], "c": ["X", "Y"], "d": ["X"]}, {"X": 1, "Y": 1},
                   fixed={"c": "X", "d": "X"})
    assert run.assignment == {"a": None, "b": None, "c": "X", "d": "X"}
    assert run.notes == ["X has 1 place(s) but 2 fixed student(s): all keep their place"]
    assert run.waiting == {"X": ["a", "b"], "Y": []}  # fixed students wait for nothing
    # A fixed student no longer ranked keeps the place too, after the ranked ones.
    run = allocate(["a"], {"a": ["X"]}, {"X": 1}, fixed={"gone": "X"})
    assert run.assignment == {"a": None, "gone": "X"}
    # A fixed student who withdrew frees the place.
    run = allocate(["a", "b"], {"a": ["X"], "b": ["X"]}, {"X": 1}, fixed={"a": "X"}, excluded={"a"})
    assert run.assignment == {"b": "X"}


def test_a_student_with_no_choice_left_is_unplaced() -> None:
    run = allocate(["a", "b", "c", "d"], {"a": ["X"], "b": ["X", "Z"], "c": [], "d": ["Y"]}, {"X": 1, "Y": 0},
                   excluded_pairs={("d", "Y")})
    assert run.assignment == {"a": "X", "b": None, "c": None, "d": None}
    assert run.unplaced == ["b", "c", "d"]
    assert run.waiting == {"X": ["b"], "Y": []}  # Z has no places; d's pair with Y is excluded


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        allocate(["a", "a"], {}, {})
    with pytest.raises(ValueError, match="negative"):
        allocate(["a"], {}, {"X": -1})
