"""The rules of places, pure (no I/O): how many students of a program a partner takes by its agreements, and how a
recount from the agreements meets what the office set by hand.

A partner's places from agreements are the sum, over its agreements that are signed and valid on the day (the
program's application window closes: the day the selection is about), of their outgoing student_studies terms'
`places_per_year`. An agreement without a start or end date is open on that side. The agreement that gave the most
is named as the source (ties: the smaller id), so the office can see where a number came from. A term limited to
some academic years (`academic_years`, "2031/2032") counts only for a selection of one of them; an empty list
means every year (the selection's year: rounds.academic_year).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from services.placements.models import Agreement, AgreementTerm, Place

COUNTED = ("outgoing", "student_studies")  # the terms that send our students to study at the partner


@dataclass(frozen=True)
class Count:
    places: int
    agreement_id: str | None


def valid_on(agreement: Agreement, day: date) -> bool:
    return (agreement.status == "signed"
            and (agreement.valid_from is None or agreement.valid_from <= day)
            and (agreement.valid_to is None or day <= agreement.valid_to))


def for_year(term: AgreementTerm, year: int | None) -> bool:
    """Whether the term holds for academic year `year` (2031 is "2031/2032"); None: the year is not known, and
    every term counts as before."""
    return year is None or not term.academic_years or f"{year}/{year + 1}" in term.academic_years


def agreement_places(terms: Iterable[AgreementTerm], year: int | None = None) -> int:
    return sum(t.places_per_year or 0 for t in terms
               if (t.direction, t.mobility_type) == COUNTED and for_year(t, year))


def count(partner_ids: Sequence[str], agreements: Iterable[tuple[Agreement, Sequence[AgreementTerm]]],
          day: date, year: int | None = None) -> dict[str, Count]:
    """Places per partner of `partner_ids` from the agreements valid on `day` and their terms holding for
    academic year `year` (0 and no agreement: none)."""
    given: dict[str, list[tuple[int, str]]] = {p: [] for p in partner_ids}
    for agreement, terms in agreements:
        if agreement.partner_id in given and valid_on(agreement, day):
            given[agreement.partner_id].append((agreement_places(terms, year), agreement.id))
    result = {}
    for partner_id, parts in given.items():
        best = min(parts, key=lambda part: (-part[0], part[1]), default=None)
        result[partner_id] = Count(sum(p for p, _ in parts), best[1] if best else None)
    return result


def kept(existing: Place | None, replace: bool) -> bool:
    """A number the office set by hand survives a recount from the agreements unless the office asks to replace
    it: the office may know of places no agreement says (or fewer than it says)."""
    return existing is not None and existing.source == "office" and not replace
