"""What an application is, for counting: a mobility's direction, people, partner, country, region, period,
duration band and academic year, from its kind, form and program. Pure: no I/O.

These facts travel on every application.* event (`mobility`), so the statistics read model and outside
systems count from the event alone. docs/indicators.md says how each indicator uses them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.applications.models import Program
from services.applications.regions import region_of

OUTBOUND = frozenset({"student_exchange", "faculty_exchange"})
# Longest period in each band, in days (None: no upper bound): two weeks, three and six months. A student's
# exchange term counts as its semester (153 to 182 days, so up to six months).
DURATION_BANDS = (("two_weeks_or_less", 14), ("up_to_three_months", 92), ("up_to_six_months", 184),
                  ("over_six_months", None))


def academic_year(day: date) -> int:
    """The academic year a day falls in, named by the year it starts: 1 September to 31 August."""
    return day.year if day.month >= 9 else day.year - 1


def term_period(term: str) -> tuple[date, date]:
    """`2031-fall` is 1 Sep 2031 – 31 Jan 2032; `2032-spring` is 1 Feb – 31 Jul 2032."""
    year, season = int(term[:4]), term[5:]
    if season == "fall":
        return date(year, 9, 1), date(year + 1, 1, 31)
    return date(year, 2, 1), date(year, 7, 31)


def duration_band(days: int | None) -> str | None:
    if days is None:
        return None
    return next(name for name, longest in DURATION_BANDS if longest is None or days <= longest)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def mobility_facts(kind: str, form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    """The facts of one application; fields its form does not have yet (a draft) are None."""
    partner_id = partner_name = country = region = None
    start, end = _date(form.get("start_date")), _date(form.get("end_date"))
    people = 1
    if kind == "student_exchange":
        choices = form.get("partner_choices") or []
        partner = next((p for p in (program.partners if program else []) if choices and p.id == choices[0]), None)
        if partner is not None:
            partner_id, partner_name, country, region = partner.id, partner.name, partner.country, partner.region
        term = form.get("term")
        if isinstance(term, str) and term[5:] in ("spring", "fall"):
            start, end = term_period(term)
    elif kind == "faculty_exchange":
        partner_name, country = form.get("destination_institution"), form.get("destination_country")
    elif kind == "foreign_expert":
        partner_name, country = form.get("institution"), form.get("nationality")
    elif kind == "hosted_event":
        countries = form.get("countries") or []
        country = countries[0] if countries else None
        people = int(form.get("delegation_size") or 0)
    if region is None and country is not None:
        region = region_of(country)
    days = (end - start).days + 1 if start and end else None
    return {
        "direction": "outbound" if kind in OUTBOUND else "inbound",
        "people": people,
        "partner_id": partner_id,
        "partner_name": partner_name,
        "country": country,
        "region": region,
        "start_date": start.isoformat() if start else None,
        "end_date": end.isoformat() if end else None,
        "duration_days": days,
        "duration_band": duration_band(days),
        "academic_year": academic_year(start) if start else None,
    }
