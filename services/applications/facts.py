"""What an application is, for counting: a mobility's direction, people, partner, country, region, period,
duration band and academic year, from its kind, form and program. Pure: no I/O.

Each kind (services/applications/kinds/) gives its own part; the period's duration, band and academic year are
figured here, once for every kind, so review conditions and statistics read one duration.

These facts travel on every application.* event (`mobility`), so the statistics read model and outside
systems count from the event alone. docs/indicators.md says how each indicator uses them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.applications import kinds
from services.applications.models import Program
from services.applications.regions import region_of

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


def mobility_facts(kind: str, form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    """The facts of one application; fields its form does not have yet (a draft) are None. The kind says its
    direction, people, partner, country and period; the region, duration and academic year follow from
    those the same way for every kind (a partner's region, when the kind names one, is the office's choice)."""
    own = kinds.get(kind).facts(form, program)
    start, end = own["start_date"], own["end_date"]
    country = own["country"]
    region = own.get("region") or (region_of(country) if country is not None else None)
    days = (end - start).days + 1 if start and end else None
    return {
        "direction": own["direction"],
        "people": own["people"],
        "partner_id": own["partner_id"],
        "partner_name": own["partner_name"],
        "country": country,
        "region": region,
        "start_date": start.isoformat() if start else None,
        "end_date": end.isoformat() if end else None,
        "duration_days": days,
        "duration_band": duration_band(days),
        "academic_year": academic_year(start) if start else None,
    }
