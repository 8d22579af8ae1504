"""The ranking of a selection round, pure: the score formula (`Formula`, the round's JSON validated) and `rank`,
which turns the candidates and the hand-entered scores into positions. No I/O and no clock: the ranking is a
function of its inputs, recomputed on every read or change and never stored as the truth (an allocation run
records the ranking it used as part of its inputs).

The arithmetic, in Decimal throughout so that the published scores can be recomputed by hand:
- normalised GPA = gpa / 4 × 100; language = min(score / the scale's maximum, 1) × 100; interview 0–100 as
  entered; bonus 0–10 added as is (when the formula says `"bonus": true`);
- each normalised part is rounded half-up to 2 places first, as it is shown, and
  score = Σ weight × part + bonus, rounded half-up to 2 places. Computing from the shown parts means anyone
  holding the published table gets the same score (docs/selection-worked-example.md does it by hand);
- an input not entered yet counts 0 and is named in `Ranked.missing` (a bonus not entered is simply no bonus);
- ties: score desc, then normalised GPA desc, then language desc, then submitted_at asc (unknown last), then
  application_id asc. Every key is a total order, so the same inputs in any order give the same ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

CRITERIA = ("gpa", "language", "interview")  # the weighted parts; the bonus is added, not weighted
ENTERED = ("interview", "bonus")  # the criteria coordinators enter in the grid (the `scores` table)
INTERVIEW_MAX = Decimal(100)
BONUS_MAX = Decimal(10)
GPA_MAX = Decimal(4)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")  # a part not entered, written like the others

# The language certificates the application form offers and the maximum of each scale; "other" is a 0–100 score.
LANGUAGE_MAX: dict[str, Decimal] = {
    "IELTS": Decimal("9"), "TOEFL": Decimal("120"), "CET-4": Decimal("710"), "CET-6": Decimal("710"),
    "TestDaF": Decimal("20"), "DELF": Decimal("100"), "JLPT": Decimal("180"), "TOPIK": Decimal("300"),
    "other": Decimal("100"),
}

DEFAULT_FORMULA: dict[str, Any] = {
    "weights": {"gpa": "0.4", "language": "0.2", "interview": "0.4"},
    "bonus": True,
    "language_max": {kind: str(top) for kind, top in LANGUAGE_MAX.items()},
}


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value: object, what: str) -> Decimal:
    # Decimal strings only: a JSON float (0.1) is already inexact before it gets here.
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a decimal written as a string, like \"0.4\"; got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number; got {value!r}")
    return number


def check_entry(criterion: str, value: Decimal) -> Decimal:
    """A hand-entered score checked against its range (interview 0–100, bonus 0–10), at most 2 decimals; the
    scores API calls this so the grid and the formula agree on the bounds. Raises ValueError in words."""
    if criterion not in ENTERED:
        raise ValueError(f"unknown criterion {criterion!r}: one of {', '.join(ENTERED)}")
    top = INTERVIEW_MAX if criterion == "interview" else BONUS_MAX
    if not value.is_finite() or value < 0 or value > top:
        raise ValueError(f"{criterion} must be between 0 and {top}; got {value}")
    if value != value.quantize(CENT):
        raise ValueError(f"{criterion} has at most 2 decimals; got {value}")
    return value


@dataclass(frozen=True)
class Formula:
    """The score formula of a round: a weight 0–1 per criterion, whether the bonus counts, the language scales."""

    weights: Mapping[str, Decimal]
    bonus: bool = True
    language_max: Mapping[str, Decimal] = field(default_factory=lambda: dict(LANGUAGE_MAX))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Formula:
        """The round's `formula` JSON checked; missing keys take DEFAULT_FORMULA's. Raises ValueError in words."""
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ValueError("the formula must be an object with weights, bonus and language_max")
        unknown = set(data) - {"weights", "bonus", "language_max"}
        if unknown:
            raise ValueError(f"unknown formula field(s): {', '.join(sorted(unknown))}")
        raw_weights = data.get("weights", DEFAULT_FORMULA["weights"])
        if not isinstance(raw_weights, Mapping):
            raise ValueError("weights must be an object like {\"gpa\": \"0.4\", \"language\": \"0.2\", ...}")
        if set(raw_weights) != set(CRITERIA):
            raise ValueError(f"weights must name exactly {', '.join(CRITERIA)}; got {', '.join(sorted(raw_weights))}")
        weights = {}
        for name in CRITERIA:
            weight = _decimal(raw_weights[name], f"the weight of {name}")
            if not Decimal(0) <= weight <= Decimal(1):
                raise ValueError(f"the weight of {name} must be between 0 and 1; got {weight}")
            weights[name] = weight
        bonus = data.get("bonus", True)
        if not isinstance(bonus, bool):
            raise ValueError(f"bonus must be true or false; got {bonus!r}")
        raw_scales = data.get("language_max", {})
        if not isinstance(raw_scales, Mapping):
            raise ValueError("language_max must be an object like {\"IELTS\": \"9\"}")
        scales = dict(LANGUAGE_MAX)  # a formula names the scales it changes; the others keep their maximum
        for kind, top in raw_scales.items():
            if kind not in LANGUAGE_MAX:
                raise ValueError(f"unknown language certificate {kind!r}: one of {', '.join(LANGUAGE_MAX)}")
            scale = _decimal(top, f"the maximum of {kind}")
            if scale <= 0:
                raise ValueError(f"the maximum of {kind} must be above 0; got {scale}")
            scales[kind] = scale
        return cls(weights=weights, bonus=bonus, language_max=scales)

    def as_json(self) -> dict[str, Any]:
        """The formula as the round stores it and an allocation run records it (decimals as strings)."""
        return {"weights": {name: str(self.weights[name]) for name in CRITERIA}, "bonus": self.bonus,
                "language_max": {kind: str(top) for kind, top in self.language_max.items()}}


class Candidate(Protocol):
    """What ranking needs of a candidate; the placements `Candidate` row fits as it is."""

    @property
    def application_id(self) -> str: ...
    @property
    def gpa(self) -> Decimal | None: ...
    @property
    def language_type(self) -> str | None: ...
    @property
    def language_score(self) -> Decimal | None: ...
    @property
    def submitted_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Ranked:
    """One line of the ranking: position 1.., the score, the normalised parts (each 0–100, bonus 0–10, rounded to
    2 places as shown) and the inputs not entered yet (counted as 0)."""

    application_id: str
    position: int
    score: Decimal
    parts: Mapping[str, Decimal]
    missing: tuple[str, ...]
    submitted_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The line as an allocation run records it among its inputs."""
        return {"application_id": self.application_id, "position": self.position, "score": str(self.score),
                "parts": {name: str(value) for name, value in self.parts.items()}, "missing": list(self.missing)}


def _parts(candidate: Candidate, entered: Mapping[str, Decimal], formula: Formula) -> tuple[dict[str, Decimal],
                                                                                              list[str]]:
    parts: dict[str, Decimal] = {}
    missing: list[str] = []
    if candidate.gpa is None:
        parts["gpa"] = ZERO
        missing.append("gpa")
    else:
        parts["gpa"] = _round(Decimal(candidate.gpa) / GPA_MAX * HUNDRED)
    if candidate.language_type is None or candidate.language_score is None:
        parts["language"] = ZERO
        missing.append("language")
    else:
        # A certificate the formula does not know is read on the 0–100 "other" scale rather than dropped.
        top = formula.language_max.get(candidate.language_type, formula.language_max["other"])
        ratio = min(max(Decimal(candidate.language_score) / top, Decimal(0)), Decimal(1))
        parts["language"] = _round(ratio * HUNDRED)
    if "interview" in entered:
        parts["interview"] = _round(Decimal(entered["interview"]))
    else:
        parts["interview"] = ZERO
        missing.append("interview")
    parts["bonus"] = _round(Decimal(entered.get("bonus", 0))) if formula.bonus else ZERO
    # A criterion weighted 0 is not waited for: its absence changes nothing.
    missing = [name for name in missing if formula.weights[name] > 0]
    return parts, missing


def score_of(parts: Mapping[str, Decimal], formula: Formula) -> Decimal:
    """Σ weight × part + bonus, rounded half-up to 2 places."""
    total = sum((formula.weights[name] * parts[name] for name in CRITERIA), Decimal(0)) + parts["bonus"]
    return _round(total)


def rank(candidates: Iterable[Candidate], scores: Mapping[str, Mapping[str, Decimal]],
         formula: Formula) -> list[Ranked]:
    """The candidates in rank order. `scores` is {application_id: {"interview": .., "bonus": ..}} as entered;
    a candidate without an entry is "not scored". Two candidates with one application_id are a ValueError."""
    lines = []
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.application_id in seen:
            raise ValueError(f"candidate {candidate.application_id} appears twice")
        seen.add(candidate.application_id)
        parts, missing = _parts(candidate, scores.get(candidate.application_id, {}), formula)
        lines.append((candidate, parts, tuple(missing), score_of(parts, formula)))

    def order(line: tuple[Candidate, dict[str, Decimal], tuple[str, ...], Decimal]) -> tuple[Any, ...]:
        candidate, parts, _, score = line
        submitted = candidate.submitted_at
        # Unknown submission times go after known ones; the id settles whatever is left.
        if submitted is None:
            when: tuple[int, datetime] = (1, datetime.min.replace(tzinfo=UTC))
        else:  # a naive time is taken as UTC (the services store UTC) so that it compares with aware ones
            when = (0, submitted if submitted.tzinfo else submitted.replace(tzinfo=UTC))
        return (-score, -parts["gpa"], -parts["language"], when, candidate.application_id)

    lines.sort(key=order)
    return [Ranked(application_id=c.application_id, position=n, score=score, parts=parts, missing=missing,
                   submitted_at=c.submitted_at)
            for n, (c, parts, missing, score) in enumerate(lines, start=1)]
