"""The indicators of educational globalization, defined once: what each counts (DEFINITIONS, also served at
/api/v1/stats/definitions and shown on the dashboard) and how (the functions below). Pure: they take the read
model's rows (stats_mobilities, stats_review_steps) and the reporting date, and do no I/O.

docs/indicators.md explains them for the office, with the same words; a test keeps the two in step.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


class Mobility(Protocol):
    application_id: str
    kind: str
    school: str
    status: str
    people: int
    partner_name: str | None
    country: str | None
    region: str | None
    end_date: date | None
    duration_band: str | None
    academic_year: int | None
    submitted_at: Any


class Step(Protocol):
    level: int
    created_at: Any
    decided_at: Any
    outcome: str | None


def _l(text: str) -> str:
    """Marks a text for the web UI's translation catalog (babel.cfg reads this file); the API speaks English."""
    return text


@dataclass(frozen=True)
class Definition:
    key: str
    title: str
    definition: str


DEFINITIONS = (
    Definition("outbound_students", _l("Students going abroad"),
               _l("Approved student exchanges: one per approved application of kind student_exchange.")),
    Definition("outbound_staff", _l("Teachers and staff going abroad"),
               _l("Approved faculty exchanges: one per approved application of kind faculty_exchange.")),
    Definition("inbound_experts", _l("Foreign experts coming in"),
               _l("Approved foreign experts: one per approved application of kind foreign_expert.")),
    Definition("hosted_events", _l("Hosted delegations and events"),
               _l("Approved hosted events: one per approved application of kind hosted_event.")),
    Definition("hosted_visitors", _l("Visitors in hosted delegations"),
               _l("The delegation sizes of the approved hosted events, added up.")),
    Definition("completed", _l("Completed mobilities"),
               _l("Approved mobilities whose last day is before the reporting date.")),
    Definition("submitted", _l("Applications submitted"),
               _l("Applications submitted at least once, whatever happened to them since; drafts do not "
                  "count.")),
    Definition("under_review", _l("Applications under review"),
               _l("Submitted applications not decided yet: waiting for a reviewer, or returned to the applicant for "
               "changes.")),
    Definition("withdrawn", _l("Applications withdrawn"),
               _l("Submitted applications that the applicant withdrew before a decision.")),
    Definition("rejected", _l("Applications rejected"), _l("Applications whose review chain rejected them.")),
    Definition("approval_rate", _l("Approval rate"),
               _l("Approved divided by decided (approved plus rejected); withdrawn applications were never decided. "
               "Empty when nothing was decided.")),
    Definition("active_schools", _l("Active schools"), _l("Schools with at least one approved mobility.")),
    Definition("partner_institutions", _l("Partner institutions"),
               _l("Institutions abroad with at least one approved mobility, by name: a student's first-choice "
               "partner, the institution a teacher visits or an expert comes from.")),
    Definition("countries", _l("Countries reached"),
               _l("Countries with at least one approved mobility: the partner's country, the country a teacher "
               "visits, an expert's nationality, the first country of a delegation.")),
    Definition("return_rate", _l("Return rate"),
               _l("Review decisions that returned the application for changes, divided by all review decisions.")),
)
SUMMARY_KEYS = tuple(d.key for d in DEFINITIONS)

# The tables: approved mobilities grouped by one of these, and how the group of a mobility is found.
GROUPS: dict[str, Callable[[Mobility], Any]] = {
    "kind": lambda m: m.kind,
    "school": lambda m: m.school,
    "partner": lambda m: m.partner_name,
    "country": lambda m: m.country,
    "region": lambda m: m.region,
    "academic_year": lambda m: m.academic_year,
    "duration": lambda m: m.duration_band,
}
TABLE_DEFINITIONS = (
    Definition("approved", _l("Approved"),
               _l("Applications whose review chain approved them (status approved); withdrawn ones never were.")),
    Definition("completed", _l("Completed"), _l("Of those, the ones whose last day is before the reporting date.")),
    Definition("people", _l("People"),
               _l("The people those approved mobilities move: one each, a delegation's size for a hosted event.")),
    Definition("academic_year", _l("Academic year"),
               _l("The academic year the period starts in, 1 September to 31 August, named by its first year: a "
               "student's fall term starts on 1 September, a spring term on 1 February.")),
    Definition("duration", _l("Duration"),
               _l("The period from its first to its last day, both counted: two weeks or less (up to 14 days), up to "
               "three months (92 days), up to six months (184 days), over six months. A student's exchange term "
               "counts as its semester: fall 1 Sep – 31 Jan, spring 1 Feb – 31 Jul.")),
    Definition("region", _l("Region"),
               _l("A partner's region as the office set it; otherwise the country's region by the lists in "
               "services/applications/regions.py (ASEAN, then Belt and Road, Europe, the Americas, other).")),
    Definition("review_hours", _l("Hours per level"),
               _l("From a review task's opening to its decision, for decided tasks: median and mean per level. A "
               "task counts in the academic year of its decision.")),
)
OPEN = frozenset({"submitted", "in_review", "changes_requested"})


def _completed(m: Mobility, as_of: date) -> bool:
    return m.status == "approved" and m.end_date is not None and m.end_date < as_of


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary(mobilities: Iterable[Mobility], steps: Iterable[Step], as_of: date) -> dict[str, Any]:
    rows = [m for m in mobilities if m.submitted_at is not None or m.status not in ("draft", "withdrawn")]
    approved = [m for m in rows if m.status == "approved"]

    def approved_of(kind: str) -> list[Mobility]:
        return [m for m in approved if m.kind == kind]

    decisions = [s for s in steps if s.outcome is not None]
    rejected = sum(m.status == "rejected" for m in rows)
    return {
        "outbound_students": len(approved_of("student_exchange")),
        "outbound_staff": len(approved_of("faculty_exchange")),
        "inbound_experts": len(approved_of("foreign_expert")),
        "hosted_events": len(approved_of("hosted_event")),
        "hosted_visitors": sum(m.people for m in approved_of("hosted_event")),
        "completed": sum(_completed(m, as_of) for m in approved),
        "submitted": len(rows),
        "under_review": sum(m.status in OPEN for m in rows),
        "withdrawn": sum(m.status == "withdrawn" for m in rows),
        "rejected": rejected,
        "approval_rate": _rate(len(approved), len(approved) + rejected),
        "active_schools": len({m.school for m in approved}),
        "partner_institutions": len({m.partner_name for m in approved if m.partner_name}),
        "countries": len({m.country for m in approved if m.country}),
        "return_rate": _rate(sum(s.outcome == "return" for s in decisions), len(decisions)),
    }


def table(mobilities: Iterable[Mobility], group_by: str, as_of: date) -> list[dict[str, Any]]:
    """Approved mobilities by one grouping: approved, completed, people per group, largest first."""
    key_of = GROUPS[group_by]
    groups: dict[Any, dict[str, Any]] = {}
    for m in mobilities:
        if m.status != "approved":
            continue
        group = groups.setdefault(key_of(m), {"key": key_of(m), "approved": 0, "completed": 0, "people": 0})
        group["approved"] += 1
        group["completed"] += _completed(m, as_of)
        group["people"] += m.people
    order: Callable[[dict[str, Any]], Any] = (
        (lambda g: (g["key"] is None, g["key"] or 0)) if group_by == "academic_year"
        else (lambda g: (-g["approved"], str(g["key"] or "~"))))
    return sorted(groups.values(), key=order)


def review_levels(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """Per review level: decisions by outcome, the return rate, and hours from opening to decision."""
    levels: dict[int, list[Step]] = defaultdict(list)
    for s in steps:
        if s.outcome is not None:
            levels[s.level].append(s)
    rows = []
    for level, decided in sorted(levels.items()):
        hours = [(s.decided_at - s.created_at).total_seconds() / 3600 for s in decided if s.created_at is not None]
        returned = sum(s.outcome == "return" for s in decided)
        rows.append({
            "level": level, "decisions": len(decided),
            "approve": sum(s.outcome == "approve" for s in decided), "return": returned,
            "reject": sum(s.outcome == "reject" for s in decided), "return_rate": _rate(returned, len(decided)),
            "median_hours": round(statistics.median(hours), 2) if hours else None,
            "mean_hours": round(statistics.fmean(hours), 2) if hours else None,
        })
    return rows
