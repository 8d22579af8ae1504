"""The allocation of places, pure: serial dictatorship over a ranking (`allocate`) and the difference between two
runs (`changes`), which the service turns into new offers and superseded ones. No I/O, no clock, no randomness:
the same inputs give the same `Allocation`, whatever order the mappings and sets were built in.

The rules, in order:
1. fixed places first: {id: partner} for accepted offers and nominations. They are kept even when the partner
   now has fewer places than fixed students (an accepted place is never revoked; `notes` says so). A fixed
   student who is also excluded (withdrew after accepting) or whose fixed pair is excluded (the partner
   rejected the nomination) is not fixed: the exclusion is the later fact.
2. then, in rank order, every other student who is not excluded gets the highest choice that still has a place
   and whose pair is not excluded; a student with no such choice is unplaced.
3. the waiting list of a partner: the students, in rank order, who are not fixed and chose that partner above
   what they got (or got nothing). Its head is exactly who a freed place at that partner goes to on a re-run.
A partner absent from `places` has no place; a choice of it is passed over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Allocation:
    """The result of one run. `assignment` holds every student who took part (not excluded), in rank order
    (fixed students outside the ranking last, by id): their partner or None. `waiting` has one list per partner
    of `places`, sorted by partner id; `unplaced` the students with no partner, in rank order."""

    assignment: dict[str, str | None]
    waiting: dict[str, list[str]]
    unplaced: list[str]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The result as an allocation run records it (`result`)."""
        return {"assignment": dict(self.assignment), "waiting": {p: list(ids) for p, ids in self.waiting.items()},
                "unplaced": list(self.unplaced), "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Allocation:
        """A recorded result read back (the previous run, to compare with the next one)."""
        return cls(assignment=dict(data.get("assignment", {})),
                   waiting={p: list(ids) for p, ids in data.get("waiting", {}).items()},
                   unplaced=list(data.get("unplaced", [])), notes=list(data.get("notes", [])))

    def holders(self, partner_id: str) -> list[str]:
        """The students placed at a partner, in assignment (rank) order."""
        return [student for student, partner in self.assignment.items() if partner == partner_id]


@dataclass(frozen=True)
class Change:
    """A student whose place differs between two runs. kind: "gains" (none → partner), "loses" (partner →
    none) or "changes" (one partner → another). The service makes an offer for `after` and supersedes the
    open offer for `before`."""

    application_id: str
    before: str | None
    after: str | None
    kind: str


def allocate(ranking: Sequence[str], choices: Mapping[str, Sequence[str]], places: Mapping[str, int],
             fixed: Mapping[str, str] | None = None, excluded: Set[str] = frozenset(),
             excluded_pairs: Set[tuple[str, str]] = frozenset()) -> Allocation:
    """Serial dictatorship over `ranking` (application ids, best first); see the module's rules."""
    fixed = fixed or {}
    if len(set(ranking)) != len(ranking):
        raise ValueError("the ranking names a student twice")
    for partner, count in places.items():
        if count < 0:
            raise ValueError(f"partner {partner} has a negative number of places ({count})")
    position = {student: n for n, student in enumerate(ranking)}
    # Students fixed but no longer ranked (say, scored out of the round later) still keep their place.
    order = list(ranking) + sorted(set(fixed) - set(position))
    left = {partner: count for partner, count in places.items()}
    assignment: dict[str, str | None] = {}
    notes: list[str] = []
    kept: dict[str, str] = {}

    for student in order:
        partner = fixed.get(student)
        if partner is None:
            continue
        if student in excluded:
            notes.append(f"{student} was fixed at {partner} but is excluded: the place is freed")
        elif (student, partner) in excluded_pairs:
            notes.append(f"{student} was fixed at {partner} but the pair is excluded: the place is freed")
        else:
            kept[student] = partner
            left[partner] = left.get(partner, 0) - 1
    for partner in sorted({p for p in kept.values()}):
        if left[partner] < 0:
            holding = places.get(partner, 0) - left[partner]
            notes.append(f"{partner} has {places.get(partner, 0)} place(s) but {holding} fixed student(s): "
                         "all keep their place")
            left[partner] = 0

    for student in order:
        if student in excluded:
            continue
        if student in kept:
            assignment[student] = kept[student]
            continue
        assignment[student] = None
        for partner in choices.get(student, ()):
            if (student, partner) not in excluded_pairs and left.get(partner, 0) > 0:
                assignment[student] = partner
                left[partner] -= 1
                break

    waiting: dict[str, list[str]] = {partner: [] for partner in sorted(places)}
    for student, got in assignment.items():
        if student in kept:
            continue
        for partner in choices.get(student, ()):
            if partner == got:
                break  # only the choices above what the student got
            if partner in waiting and (student, partner) not in excluded_pairs and student not in waiting[partner]:
                waiting[partner].append(student)
    unplaced = [student for student, got in assignment.items() if got is None]
    return Allocation(assignment=assignment, waiting=waiting, unplaced=unplaced, notes=notes)


def changes(before: Allocation, after: Allocation) -> list[Change]:
    """Who gains, loses or changes a place from `before` to `after`, in `after`'s order then `before`'s. A student
    absent from a run (excluded) counts as placed nowhere in it."""
    found = []
    for student in list(after.assignment) + [s for s in before.assignment if s not in after.assignment]:
        was, now = before.assignment.get(student), after.assignment.get(student)
        if was == now:
            continue
        kind = "gains" if was is None else "loses" if now is None else "changes"
        found.append(Change(application_id=student, before=was, after=now, kind=kind))
    return found
