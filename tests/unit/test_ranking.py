"""The ranking on its own: the worked example of docs/selection-worked-example.md (its scores and order, computed
by hand there), the formula's checks, the tie-breaks in their order, missing inputs, and the same ranking from
the same inputs in any order. The example's data live here; test_allocation.py allocates over them."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.placements.ranking import DEFAULT_FORMULA, Formula, check_entry, rank


@dataclass(frozen=True)
class Entrant:
    application_id: str
    gpa: Decimal | None
    language_type: str | None
    language_score: Decimal | None
    submitted_at: datetime | None


# The worked example: id: (GPA, certificate, result, interview, bonus, choices first choice first).
EXAMPLE = {
    "S01": ("3.80", "IELTS", "7.5", "88", "0", ["P1", "P2", "P3"]),
    "S02": ("3.30", "JLPT", "150", "82", "0", ["P4", "P1"]),
    "S03": ("3.90", "TOEFL", "114", "92", "2", ["P1", "P2"]),
    "S04": ("3.20", "TOEFL", "102", "80", "0", ["P3", "P4"]),
    "S05": ("3.40", "TOEFL", "102", "86", "1", ["P1", "P2", "P3"]),
    "S06": ("3.00", "CET-4", "497", "83", "1", ["P3", "P1"]),
    "S07": ("3.72", "IELTS", "8.0", "90", "0", ["P1", "P3"]),
    "S08": ("3.50", "TOEFL", "96", "75", "0", ["P1", "P2"]),
    "S09": ("3.60", "TOPIK", "240", "48", "0", ["P4", "P3"]),
    "S10": ("3.60", "CET-6", "639", "85", "0", ["P2", "P4"]),
    "S11": ("3.00", "TOEFL", "90", "78", "2", ["P2"]),
    "S12": ("3.52", "DELF", "80", "80", "0", ["P2", "P3", "P4"]),
}
PLACES = {"P1": 2, "P2": 2, "P3": 2, "P4": 1}
CHOICES = {student: row[5] for student, row in EXAMPLE.items()}
FORMULA = Formula.from_json(DEFAULT_FORMULA)


def entrants() -> list[Entrant]:
    # Submitted in the order of their numbers, a day apart: only the tie-break tests rely on it.
    return [Entrant(student, Decimal(row[0]), row[1], Decimal(row[2]), datetime(2031, 3, int(student[1:]), 9,
                                                                                   tzinfo=UTC))
            for student, row in EXAMPLE.items()]


def entered(**changed: str) -> dict[str, dict[str, Decimal]]:
    """The grid as the coordinators filled it; `S09="84"` changes one interview score."""
    return {student: {"interview": Decimal(changed.get(student, row[3])), "bonus": Decimal(row[4])}
            for student, row in EXAMPLE.items()}


def example_ranking(**changed: str) -> list[str]:
    return [line.application_id for line in rank(entrants(), entered(**changed), FORMULA)]


def test_the_worked_example_scores_and_order_as_computed_by_hand() -> None:
    lines = rank(entrants(), entered(), FORMULA)
    assert [(line.position, line.application_id, str(line.score)) for line in lines] == [
        (1, "S03", "96.80"), (2, "S07", "90.98"), (3, "S01", "89.87"), (4, "S10", "88.00"), (5, "S05", "86.40"),
        (6, "S12", "83.20"), (7, "S02", "82.47"), (8, "S08", "81.00"), (9, "S04", "81.00"), (10, "S11", "78.20"),
        (11, "S06", "78.20"), (12, "S09", "71.20")]
    by_id = {line.application_id: line for line in lines}
    # The rows the document works through digit by digit: 7.5/9 and 150/180 are shown as 83.33.
    assert {k: str(v) for k, v in by_id["S01"].parts.items()} == {
        "gpa": "95.00", "language": "83.33", "interview": "88.00", "bonus": "0.00"}
    assert str(by_id["S07"].parts["language"]) == "88.89"
    assert str(by_id["S02"].parts["language"]) == "83.33"
    assert str(by_id["S06"].parts["language"]) == "70.00"
    assert all(line.missing == () for line in lines)


def test_a_corrected_interview_score_moves_the_student_up() -> None:
    assert example_ranking(S09="84") == ["S03", "S07", "S01", "S10", "S05", "S09", "S12", "S02", "S08", "S04",
                                         "S11", "S06"]
    assert str({line.application_id: line for line in rank(entrants(), entered(S09="84"), FORMULA)}["S09"].score) \
        == "85.60"


def test_the_same_inputs_in_any_order_give_the_same_ranking() -> None:
    first = rank(entrants(), entered(), FORMULA)
    for seed in range(5):
        shuffled = entrants()
        random.Random(seed).shuffle(shuffled)
        grid = list(entered().items())
        random.Random(seed + 100).shuffle(grid)
        assert rank(shuffled, dict(grid), FORMULA) == first


def test_ties_go_to_gpa_then_language_then_submission_then_id() -> None:
    when = datetime(2031, 3, 1, tzinfo=UTC)
    base = Entrant("x", Decimal("3.00"), "other", Decimal("80"), when)
    # All score 0.4·75 + 0.2·80 + 0.4·80 = 78.00 unless said.
    lower_gpa = replace(base, application_id="a-lower-gpa", gpa=Decimal("2.80"))  # 28 + 16 + 32 + 2 = 78
    lower_language = replace(base, application_id="b-lower-language", language_score=Decimal("70"))  # +2 bonus
    later = replace(base, application_id="c-later", submitted_at=datetime(2031, 3, 2, tzinfo=UTC))
    unknown_time = replace(base, application_id="d-no-time", submitted_at=None)
    id_second, id_first = replace(base, application_id="f-same"), replace(base, application_id="e-same")
    naive_earlier = replace(base, application_id="z-naive-earlier", submitted_at=datetime(2031, 2, 28))
    grid = {e.application_id: {"interview": Decimal(80), "bonus": Decimal(0)}
            for e in (id_second, id_first, later, unknown_time, naive_earlier)}
    grid["a-lower-gpa"] = {"interview": Decimal(80), "bonus": Decimal(2)}
    grid["b-lower-language"] = {"interview": Decimal(80), "bonus": Decimal(2)}
    lines = rank([unknown_time, later, id_second, lower_language, id_first, lower_gpa, naive_earlier], grid, FORMULA)
    assert {str(line.score) for line in lines} == {"78.00"}
    assert [line.application_id for line in lines] == [
        "z-naive-earlier", "e-same", "f-same", "c-later", "d-no-time", "b-lower-language", "a-lower-gpa"]


def test_inputs_not_entered_yet_count_zero_and_are_named() -> None:
    bare = Entrant("n1", None, None, None, None)
    scored_bonus_only = Entrant("n2", Decimal("4.00"), "IELTS", Decimal("9.5"), None)  # above the scale: 100
    lines = rank([bare, scored_bonus_only], {"n2": {"bonus": Decimal("1.5")}}, FORMULA)
    assert [(line.application_id, str(line.score), line.missing) for line in lines] == [
        ("n2", "61.50", ("interview",)), ("n1", "0.00", ("gpa", "language", "interview"))]
    # A criterion weighted 0 is not waited for; a formula without bonus ignores the entered bonus.
    no_interview = Formula.from_json({"weights": {"gpa": "0.5", "language": "0.5", "interview": "0"},
                                      "bonus": False})
    line = rank([scored_bonus_only], {"n2": {"bonus": Decimal("1.5")}}, no_interview)[0]
    assert (str(line.score), line.missing, str(line.parts["bonus"])) == ("100.00", (), "0.00")


def test_an_unknown_certificate_is_read_on_the_other_scale() -> None:
    line = rank([Entrant("u", Decimal("0"), "Goethe", Decimal("64"), None)], {}, FORMULA)[0]
    assert str(line.parts["language"]) == "64.00"


def test_the_formula_is_checked_in_words() -> None:
    good = Formula.from_json({"weights": {"gpa": "0.5", "language": "0.1", "interview": "0.4"},
                              "language_max": {"IELTS": "9.0"}})
    assert good.weights["gpa"] == Decimal("0.5") and good.language_max["TOEFL"] == Decimal(120)
    assert Formula.from_json(good.as_json()) == good
    bad = [
        ({"weights": {"gpa": 0.4, "language": "0.2", "interview": "0.4"}}, "decimal written as a string"),
        ({"weights": {"gpa": "1.2", "language": "0.2", "interview": "0.4"}}, "between 0 and 1"),
        ({"weights": {"gpa": "x", "language": "0.2", "interview": "0.4"}}, "not a decimal"),
        ({"weights": {"gpa": "0.4", "language": "0.2"}}, "exactly gpa, language, interview"),
        ({"language_max": {"HSK": "300"}}, "unknown language certificate 'HSK'"),
        ({"language_max": {"IELTS": "0"}}, "above 0"),
        ({"bonus": "yes"}, "true or false"),
        ({"weight": {}}, "unknown formula field"),
    ]
    for data, words in bad:
        with pytest.raises(ValueError, match=words):
            Formula.from_json(data)


def test_entered_scores_are_checked_against_their_range() -> None:
    assert check_entry("interview", Decimal("77.5")) == Decimal("77.5")
    for criterion, value, words in (("interview", "100.5", "between 0 and 100"), ("bonus", "11", "between 0 and 10"),
                                    ("bonus", "-1", "between"), ("interview", "80.125", "2 decimals"),
                                    ("gpa", "3", "unknown criterion")):
        with pytest.raises(ValueError, match=words):
            check_entry(criterion, Decimal(value))


def test_a_candidate_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        rank(entrants() + entrants()[:1], entered(), FORMULA)
