"""The indicators of educational globalization, defined once: what each counts (DEFINITIONS, also served at
/api/v1/stats/definitions and shown on the dashboard) and how (the queries and functions below). Pure: the
queries over the read model (stats_mobilities, with what happened after approval from stats_mobility_records)
are built here and run by stats_api.py, so counting stays in the database however many rows there are; review
times are figured here from the decided steps.

docs/indicators.md explains them for the office, with the same words; a test keeps the two in step.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, distinct, func, literal, select

from services.applications import kinds
from services.applications.models import MobilityFact, MobilityRecordFact, ReviewStep


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
               _l("Approved student exchange applications, one each.")),
    Definition("outbound_staff", _l("Teachers and staff going abroad"),
               _l("Approved faculty trips abroad, one each.")),
    Definition("inbound_experts", _l("Foreign experts coming in"),
               _l("Approved foreign expert applications, one each.")),
    Definition("hosted_events", _l("Hosted delegations and events"),
               _l("Approved hosted delegations and events, one each.")),
    Definition("hosted_visitors", _l("Visitors in hosted delegations"),
               _l("The delegation sizes of the approved hosted events, added up.")),
    Definition("completed", _l("Completed mobilities"),
               _l("Approved mobilities whose travellers came back before the reporting date: every record of the "
                  "application has ended and the last return recorded is before that date (a no-show or a "
                  "cancelled record ends without a return; at least one must have come back). An application "
                  "approved before the mobilities service existed has no records: its last day counts "
                  "instead.")),
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
               _l("Institutions abroad with at least one approved mobility, by name: a student's allocated "
                  "partner (its first choice until one is allocated), the institution a teacher visits or an expert "
                  "comes from.")),
    Definition("countries", _l("Countries and regions reached"),
               _l("Countries and regions with at least one approved mobility: the partner's, the one a teacher "
                  "visits, an expert's nationality, a delegation's first. Hong Kong, Macao and Taiwan count as "
                  "regions of China.")),
    Definition("return_rate", _l("Return rate"),
               _l("Review decisions that returned the application for changes, divided by all review decisions.")),
    Definition("people_returned", _l("People back from their mobility"),
               _l("Travellers whose return was recorded before the reporting date, one per person: each member of "
                  "a group counts, an expert when leaving China. A hosted event is not a person and is not "
                  "counted.")),
    Definition("no_shows", _l("No-shows"),
               _l("Travellers who did not go although approved (the record ended as a no-show), one per person.")),
    Definition("stays_extended", _l("Stays extended"),
               _l("Travellers whose stay was extended beyond the approved dates, after its approval; one per "
                  "person, however many times.")),
    Definition("stays_shortened", _l("Stays shortened"),
               _l("Travellers whose stay was shortened within the approved dates; one per person, however many "
                  "times.")),
    Definition("reports_on_time", _l("Reports on time"),
               _l("Accepted reports (a staff trip report, a student's transcript, an event's summary) submitted "
                  "by their due date, one per record.")),
    Definition("reports_late", _l("Reports late"),
               _l("Accepted reports submitted after their due date, one per record.")),
)
SUMMARY_KEYS = tuple(d.key for d in DEFINITIONS)
# The summary counts that kinds contribute to: each kind module says which (its `counts`).
KIND_COUNTED = ("outbound_students", "outbound_staff", "inbound_experts", "hosted_events", "hosted_visitors")
# The summary counts of what happened after approval, added up from the records (_records)
RECORD_COUNTED = ("people_returned", "no_shows", "stays_extended", "stays_shortened", "reports_on_time",
                  "reports_late")

# The tables: approved mobilities grouped by one of these columns.
GROUPS: dict[str, Any] = {
    "kind": MobilityFact.kind,
    "school": MobilityFact.school,
    "partner": MobilityFact.partner_name,
    "country": MobilityFact.country,
    "region": MobilityFact.region,
    "academic_year": MobilityFact.academic_year,
    "duration": MobilityFact.duration_band,
}
TABLE_DEFINITIONS = (
    Definition("approved", _l("Approved"),
               _l("Applications whose review chain approved them (status approved); withdrawn ones never were.")),
    Definition("completed", _l("Completed"),
               _l("Of those, the ones whose travellers came back before the reporting date, as for the headline "
                  "number (without records: whose last day is before it).")),
    Definition("people_outbound", _l("Going abroad"),
               _l("The people those approved mobilities send abroad: one per student exchange or faculty trip.")),
    Definition("people_inbound", _l("Coming in"),
               _l("The people they bring in: one per foreign expert, a delegation's size for a hosted event.")),
    Definition("academic_year", _l("Academic year"),
               _l("The academic year the period starts in, 1 September to 31 August, named by its first year: a "
                  "student's fall term starts on 1 September, a spring term on 1 February.")),
    Definition("duration", _l("Duration"),
               _l("The period from its first to its last day, both counted: two weeks or less (up to 14 days), two "
                  "weeks to three months (up to 92 days), three to six months (up to 184 days), over six months. A "
                  "student's exchange term counts as its semester: fall 1 Sep – 31 Jan, spring 1 Feb – 31 Jul.")),
    Definition("region", _l("Region"),
               _l("A partner's region as the office set it; otherwise the region of the country, by the country "
                  "lists the office keeps: ASEAN first, then Belt and Road, Europe, the Americas, other.")),
    Definition("review_hours", _l("Hours per level"),
               _l("From a review task's opening to its decision, for decided tasks: median and mean per level. A "
                  "task counts in its application's academic year, like every other number.")),
)
OPEN = ("submitted", "in_review", "changes_requested")
ENDED_AWAY = ("no_show", "cancelled")  # a record that ended without going (or coming back)
APPROVED = MobilityFact.status == "approved"


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _records(as_of: date) -> Any:
    """Per application, what its mobility records say (stats_mobility_records): how many, how many still under
    way (not back, not ended), the last return, and the counts of RECORD_COUNTED. Outer-joined to
    stats_mobilities: an application without records gets nulls."""
    record = MobilityRecordFact
    came_back = record.returned_on.is_not(None)
    return select(
        record.application_id, func.count().label("records"),
        _count(~came_back & record.status.not_in(ENDED_AWAY)).label("under_way"),
        func.max(record.returned_on).label("last_return"),
        _count(came_back & (record.returned_on < as_of) & (record.role != "event")).label("people_returned"),
        _count(record.status == "no_show").label("no_shows"),
        _count(record.extended).label("stays_extended"),
        _count(record.shortened).label("stays_shortened"),
        _count(record.report_on_time.is_(True)).label("reports_on_time"),
        _count(record.report_on_time.is_(False)).label("reports_late"),
    ).group_by(record.application_id).subquery("records")


def _completed(as_of: date, records: Any) -> Any:
    """Approved, and its travellers came back before `as_of`: every record ended, the last return before it.
    An application the mobilities service never announced records for (approved before it existed): its
    planned last day instead."""
    came_back = (records.c.under_way == 0) & (records.c.last_return < as_of)
    return APPROVED & case((records.c.records.is_(None), MobilityFact.end_date < as_of), else_=came_back)


def _with_records(query: Select[Any], records: Any) -> Select[Any]:
    return query.select_from(MobilityFact).outerjoin(records, records.c.application_id == MobilityFact.application_id)


def _by_kind(key: str) -> Any:
    """A summary count that kinds contribute to (kinds/*.py `counts`): their approved applications, one each,
    or their people added up. No kind counting toward it: zero."""
    whens = [(APPROVED & (MobilityFact.kind == kind.name), MobilityFact.people if how == "people" else 1)
             for kind in kinds.all_kinds() for counted, how in kind.counts.items() if counted == key]
    return func.coalesce(func.sum(case(*whens, else_=0)), 0) if whens else literal(0)


def summary_query(as_of: date, where: list[Any]) -> Select[Any]:
    """One row: every count of the summary over the rows matching `where` (drafts send no event, so every
    row was submitted at least once)."""
    records = _records(as_of)
    return _with_records(select(
        *(_by_kind(key).label(key) for key in KIND_COUNTED),
        _count(_completed(as_of, records)).label("completed"),
        *(func.coalesce(func.sum(records.c[key]), 0).label(key) for key in RECORD_COUNTED),
        func.count().label("submitted"),
        _count(MobilityFact.status.in_(OPEN)).label("under_review"),
        _count(MobilityFact.status == "withdrawn").label("withdrawn"),
        _count(MobilityFact.status == "rejected").label("rejected"),
        _count(APPROVED).label("approved"),
        func.count(distinct(case((APPROVED, MobilityFact.school)))).label("active_schools"),
        func.count(distinct(case((APPROVED, MobilityFact.partner_name)))).label("partner_institutions"),
        func.count(distinct(case((APPROVED, MobilityFact.country)))).label("countries"),
    ), records).where(*where)


def summary(counts: dict[str, int], levels: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary from summary_query's row and review_levels' rows: the counts, and the two rates."""
    values = {key: int(counts[key]) for key in SUMMARY_KEYS if key in counts}
    approved, rejected = int(counts["approved"]), int(counts["rejected"])
    values["approval_rate"] = _rate(approved, approved + rejected)
    values["return_rate"] = _rate(sum(r["return"] for r in levels), sum(r["decisions"] for r in levels))
    return {key: values[key] for key in SUMMARY_KEYS}


def table_query(group_by: str, as_of: date, where: list[Any]) -> Select[Any]:
    """Approved mobilities by one grouping: approved, completed, and the people going abroad and coming in."""
    key = GROUPS[group_by]
    def people(direction: str) -> Any:
        return func.coalesce(func.sum(case((MobilityFact.direction == direction, MobilityFact.people), else_=0)), 0)

    records = _records(as_of)
    return (_with_records(select(key.label("key"), func.count().label("approved"),
                                 _count(_completed(as_of, records)).label("completed"),
                                 people("outbound").label("people_outbound"),
                                 people("inbound").label("people_inbound")), records)
            .where(APPROVED, *where).group_by(key))


def table(group_by: str, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """table_query's rows in the order shown: most approved first, ties by key, the group without a key (no
    partner, say) after the others; academic years in time order, unknown last."""
    groups = [{"key": r.key, "approved": int(r.approved), "completed": int(r.completed),
               "people": int(r.people_outbound) + int(r.people_inbound), "people_outbound": int(r.people_outbound),
               "people_inbound": int(r.people_inbound)} for r in rows]
    if group_by == "academic_year":
        return sorted(groups, key=lambda g: (g["key"] is None, g["key"] or 0))
    return sorted(groups, key=lambda g: (-g["approved"], g["key"] is None, str(g["key"])))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _decided_steps(columns: list[Any], where: list[Any]) -> Select[Any]:
    """Decided review steps whose application matches `where` (conditions on stats_mobilities)."""
    return (select(*columns).select_from(ReviewStep)
            .join(MobilityFact, MobilityFact.application_id == ReviewStep.application_id)
            .where(ReviewStep.outcome.is_not(None), *where))


def decisions_query(where: list[Any]) -> Select[Any]:
    """Per review level: decisions, and how many approved, returned, rejected."""
    return _decided_steps([
        ReviewStep.level, func.count().label("decisions"),
        *(_count(ReviewStep.outcome == outcome).label(name)
          for outcome, name in (("approve", "approve"), ("return", "returned"), ("reject", "reject"))),
    ], where).group_by(ReviewStep.level)


def hours_query(where: list[Any], dialect: str) -> Select[Any]:
    """Per decided step whose opening is known: its level and the seconds from opening to decision."""
    if dialect == "postgresql":
        seconds = func.extract("epoch", ReviewStep.decided_at - ReviewStep.created_at)
    else:  # SQLite keeps UTC timestamps as text
        seconds = (func.julianday(ReviewStep.decided_at) - func.julianday(ReviewStep.created_at)) * 86400
    return _decided_steps([ReviewStep.level, seconds.label("seconds")], where).where(
        ReviewStep.created_at.is_not(None))


def review_levels(decisions: Iterable[Any], durations: Iterable[Any]) -> list[dict[str, Any]]:
    """Per review level (decisions_query's rows): decisions by outcome, the return rate, and the median and
    mean hours from opening to decision (hours_query's rows; none given: no hours)."""
    hours: dict[int, list[float]] = defaultdict(list)
    for level, seconds in durations:
        hours[level].append(float(seconds) / 3600)
    rows = []
    for r in sorted(decisions, key=lambda r: r.level):
        spent = hours.get(r.level, [])
        rows.append({
            "level": r.level, "decisions": int(r.decisions), "approve": int(r.approve), "return": int(r.returned),
            "reject": int(r.reject), "return_rate": _rate(int(r.returned), int(r.decisions)),
            "median_hours": round(statistics.median(spent), 2) if spent else None,
            "mean_hours": round(statistics.fmean(spent), 2) if spent else None,
        })
    return rows
