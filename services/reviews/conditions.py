"""Level conditions, one table: each name says which fact of the submission it reads, which thresholds it
takes and when it holds.

A chain level may carry {"any": [{name: threshold}, ...]}: the level applies to an application when any of
them holds on the facts its application.submitted/resubmitted event carries. Adding a condition is one
entry in CONDITIONS (the admin page shows its labels).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from services.reviews.errors import Invalid

Path = tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    reads: tuple[Path, ...]               # paths into the event data: the fact, then older events' spellings
    valid: Callable[[Any], bool]          # whether a threshold is one this condition can compare with
    holds: Callable[[Any, Any], bool]     # (the fact, the threshold): the level applies
    labels: Mapping[str, str]             # en/zh, "{value}" stands for the threshold
    threshold: Mapping[str, Any] = field(default_factory=dict)  # JSON Schema of what `valid` takes (API document)

    def fact(self, data: Mapping[str, Any]) -> Any:
        """The first of `reads` the event carries (None when it carries none)."""
        for path in self.reads:
            value: Any = data
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            if value is not None:
                return value
        return None

    def applies(self, threshold: Any, data: Mapping[str, Any]) -> bool:
        """A fact the event lacks, or cannot be compared, never adds a level."""
        fact = self.fact(data)
        if fact is None:
            return False
        try:
            return self.holds(fact, threshold)
        except (ValueError, TypeError, InvalidOperation):
            return False

    def describe(self, threshold: Any, locale: str) -> str:
        return self.labels.get(locale, self.labels["en"]).format(value=threshold)


def _whole_days(value: Any) -> bool:
    # 30.0 is the integer 30 in JSON (and to marshmallow's Integer), so a client's encoder may send either
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return whole and not isinstance(value, bool) and value >= 0


def _amount(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and Decimal(str(value)).is_finite()
    except (InvalidOperation, ValueError):
        return False


CONDITIONS: dict[str, Condition] = {
    # One duration for every kind: the mobility facts count a student's term as its semester; events from
    # before those facts carried only a top-level duration_days (from start and end dates).
    "duration_days_over": Condition(
        reads=(("mobility", "duration_days"), ("duration_days",)), valid=_whole_days,
        threshold={"type": "integer", "minimum": 0},
        holds=lambda days, over: int(days) > int(over),
        labels={"en": "the stay is longer than {value} days", "zh": "在外时间超过 {value} 天"}),
    "budget_over": Condition(
        reads=(("budget",),), valid=_amount,
        threshold={"type": ["number", "string"],  # as a string, a plain decimal: "50000.00"
                   "pattern": r"^-?[0-9]+(?:\.[0-9]+)?$"},
        holds=lambda budget, over: Decimal(str(budget)) > Decimal(str(over)),
        labels={"en": "the budget is over {value} yuan", "zh": "预算超过 {value} 元"}),
    # The office's rules for staff trips (the submission's `assessment`): a stated exception to one of them, and a
    # trip beyond the school's annual plan. The threshold is true (the level applies when the fact holds).
    "rule_exception": Condition(
        reads=(("assessment", "rule_exceptions"),), valid=lambda value: value is True,
        threshold={"const": True},
        holds=lambda exceptions, wanted: bool(exceptions) is wanted,
        labels={"en": "an exception to the office's rules is asked for", "zh": "申请突破出访规定"}),
    "outside_plan": Condition(
        reads=(("assessment", "outside_plan"),), valid=lambda value: value is True,
        threshold={"const": True},
        holds=lambda outside, wanted: outside is wanted,
        labels={"en": "the trip is outside the school's annual plan", "zh": "出访不在本单位年度计划内"}),
}


def _shape() -> str:
    return '{"any": [{"<name>": <threshold>}, ...]} with a name out of: ' + ", ".join(CONDITIONS)


def validate(condition: Any) -> None:
    """A level's condition, or None: refused (422) unless every predicate names one known condition with a
    threshold it takes."""
    if condition is None:
        return
    if not isinstance(condition, dict) or set(condition) != {"any"} or not isinstance(condition["any"], list) \
            or not condition["any"]:
        raise Invalid("levels", f"A condition is {_shape()}.")
    for predicate in condition["any"]:
        if not isinstance(predicate, dict) or len(predicate) != 1:
            raise Invalid("levels", f"Each predicate names one condition: {_shape()}.")
        [(name, threshold)] = predicate.items()
        if name not in CONDITIONS:
            raise Invalid("levels", f"Unknown condition {name!r}; known: {', '.join(CONDITIONS)}.")
        if not CONDITIONS[name].valid(threshold):
            raise Invalid("levels", f"{threshold!r} is not a threshold for {name}.")


def holds(condition: dict[str, Any] | None, data: Mapping[str, Any]) -> bool:
    """Whether a level applies: no condition, or any of its predicates holds."""
    if not condition:
        return True
    return any(CONDITIONS[name].applies(threshold, data)
               for predicate in condition.get("any", []) for name, threshold in predicate.items())
