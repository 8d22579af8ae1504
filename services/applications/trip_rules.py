"""The office's rules for staff trips abroad, as data it changes (trip_rules_api.py): per category the most days by
number of countries, the most countries and members and the lead time; per school a lead time of its own; per
country the allowances for lodging and for meals and incidentals; per school and year the annual plan.

`load` reads what one filing needs (the API calls it, so the judging stays pure); `breaches` judges a trip against
it, each breach naming its rule and limit; `consistency` checks the group itself (one leader, stops inside the
trip, in order); `outside_plan` says whether the trip goes beyond the school's plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chassis.workdays import Calendar, UnknownYear
from services.applications.models import Allowance, MobilityFact, SchoolLeadTime, TripPlan, TripRule

KIND = "faculty_exchange"
CATEGORIES: dict[str, dict[str, str]] = {
    "general": {"en": "General", "zh": "一般"},
    "teaching_research": {"en": "Teaching and research", "zh": "教学科研"},
    "hk_macao": {"en": "Hong Kong and Macao", "zh": "赴港澳"},
    "taiwan": {"en": "Taiwan", "zh": "赴台"},
}
LEAD_UNITS = ("days", "working_days")
PLANNED = ("submitted", "in_review", "approved")  # the statuses that take a place in the school's plan


@dataclass(frozen=True)
class Limits:
    category: str
    max_countries: int | None
    max_members: int | None
    days_by_countries: Mapping[str, int] | None
    lead_time: int
    lead_unit: str


@dataclass(frozen=True)
class Rate:
    currency: str
    lodging: Decimal
    meals: Decimal
    cny_rate: Decimal


@dataclass(frozen=True)
class Reference:
    """What one filing is judged against."""

    limits: Limits | None                  # the category's (with the school's lead time), None: no rules yet
    allowances: Mapping[str, Rate]         # by country; a country without a row is not checked
    calendar: Calendar | None              # for lead times in working days
    plan: tuple[int, int] | None           # the school's planned (trips, people) for the trip's year
    used: tuple[int, int] = (0, 0)         # (trips, people) of the school's other trips that year
    year: int | None = None                # the year of the plan


@dataclass(frozen=True)
class Breach:
    rule: str      # members | countries | days | lead_time | lodging | meals | calendar
    field: str     # where the error shows (dotted for a nested field)
    message: str
    waivable: bool = True  # a stated exception lets it through (an unknown calendar year never)


def load(session: Session, school: str, form: dict[str, Any]) -> Reference:
    category = form.get("category")
    row = session.get(TripRule, category) if isinstance(category, str) else None
    limits = None
    if row is not None:
        own = session.get(SchoolLeadTime, (school, row.category))
        lead = (own.lead_time, own.lead_unit) if own else (row.lead_time, row.lead_unit)
        limits = Limits(row.category, row.max_countries, row.max_members, row.days_by_countries, *lead)
    stops = form.get("itinerary")  # the raw form (a draft's, before its schema): anything, even a number
    countries = {str(s.get("country")) for s in (stops if isinstance(stops, list) else ()) if isinstance(s, dict)}
    allowances = {a.country: Rate(a.currency, Decimal(a.lodging), Decimal(a.meals), Decimal(a.cny_rate))
                  for a in session.scalars(select(Allowance).where(Allowance.country.in_(countries)))}
    calendar = None
    if limits is not None and limits.lead_unit == "working_days":
        from services.applications.calendar_copy import official  # the copy of reviews' calendar
        calendar = official(session)
    plan, used = None, (0, 0)
    year = _year(form.get("start_date"))
    if year is not None:
        planned = session.get(TripPlan, (school, year))
        if planned is not None:
            plan = (planned.trips, planned.people)
            trips, people = session.execute(
                select(func.count(), func.coalesce(func.sum(MobilityFact.people), 0))
                .where(MobilityFact.kind == KIND, MobilityFact.school == school,
                       MobilityFact.status.in_(PLANNED), MobilityFact.start_date >= date(year, 1, 1),
                       MobilityFact.start_date <= date(year, 12, 31))).one()
            used = (int(trips), int(people))
    return Reference(limits, allowances, calendar, plan, used, year)


def excluding(session: Session, reference: Any, application_id: str) -> Any:
    """The reference for a change of an application already in its school's plan: its own trip and people are
    not counted among the others' (the change's own are added by outside_plan)."""
    if not isinstance(reference, Reference) or reference.plan is None:
        return reference
    row = session.get(MobilityFact, application_id)
    if row is None or row.kind != KIND or row.status not in PLANNED or row.start_date is None:
        return reference
    year = reference.year
    if year is None or row.start_date.year != year:
        return reference
    return replace(reference, used=(reference.used[0] - 1, reference.used[1] - row.people))


def _year(value: Any) -> int | None:
    day = _date(value)
    return day.year if day else None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


def _category(limits: Limits) -> str:
    return CATEGORIES.get(limits.category, {"en": limits.category})["en"].lower()


def breaches(form: dict[str, Any], ref: Reference, today: date | None) -> list[Breach]:
    """Every limit of the category the trip goes beyond (the lead time only when `today` is given: at filing)."""
    limits = ref.limits
    if limits is None:
        return []
    found: list[Breach] = []
    members = [m for m in form.get("members") or () if isinstance(m, dict)]
    stops = [s for s in form.get("itinerary") or () if isinstance(s, dict)]
    countries = list(dict.fromkeys(s.get("country") for s in stops if s.get("country")))
    what = f"a {_category(limits)} trip"
    if limits.max_members is not None and len(members) > limits.max_members:
        found.append(Breach("members", "members", f"At most {limits.max_members} members on {what} (rule: members "
                            f"per group); this group has {len(members)}."))
    if limits.max_countries is not None and len(countries) > limits.max_countries:
        found.append(Breach("countries", "itinerary", f"At most {limits.max_countries} countries or regions on "
                            f"{what} (rule: countries per trip); this itinerary has {len(countries)}."))
    start, end = _date(form.get("start_date")), _date(form.get("end_date"))
    if start and end and countries and limits.days_by_countries:
        most = limits.days_by_countries.get(str(len(countries)))
        days = (end - start).days + 1
        if most is not None and days > most:
            plural = "country" if len(countries) == 1 else "countries"
            found.append(Breach("days", "end_date", f"At most {most} days on {what} to {len(countries)} {plural}, "
                                f"from leaving to re-entering China (rule: days abroad); this trip has {days}."))
    if today is not None and start is not None:
        found += _lead_time(limits, ref.calendar, start, today, what)
    found += _allowances(form, ref, members, stops)
    return found


def _lead_time(limits: Limits, calendar: Calendar | None, start: date, today: date, what: str) -> list[Breach]:
    if limits.lead_unit == "working_days":
        if calendar is None:
            return []
        try:
            earliest = calendar.add_working_days(today, limits.lead_time)
        except UnknownYear as exc:
            return [Breach("calendar", "start_date", str(exc), waivable=False)]
        unit = "working days"
    else:
        earliest, unit = today + timedelta(days=limits.lead_time), "days"
    if start >= earliest:
        return []
    return [Breach("lead_time", "start_date", f"File {what} at least {limits.lead_time} {unit} before leaving "
                   f"(rule: lead time); filed today, the earliest departure is {earliest.isoformat()}.")]


def _allowances(form: dict[str, Any], ref: Reference, members: list[dict[str, Any]],
                stops: list[dict[str, Any]]) -> list[Breach]:
    """Lodging per person against the nights at each stop, meals and incidentals against its days, at the
    countries' allowances in yuan. A stop in a country without an allowance is not counted (nor checked)."""
    lines = form.get("budget_lines")
    if not isinstance(lines, dict) or not stops:
        return []
    most = {"lodging": Decimal(0), "meals_incidentals": Decimal(0)}
    counted = False
    for stop in stops:
        rate = ref.allowances.get(str(stop.get("country")))
        arrival, departure = _date(stop.get("arrival")), _date(stop.get("departure"))
        if rate is None or arrival is None or departure is None or departure < arrival:
            continue
        counted = True
        nights = (departure - arrival).days
        most["lodging"] += rate.lodging * rate.cny_rate * nights
        most["meals_incidentals"] += rate.meals * rate.cny_rate * (nights + 1)
    if not counted:
        return []
    found = []
    for line, rule, words in (("lodging", "lodging", "Lodging"), ("meals_incidentals", "meals",
                                                                   "Meals and incidentals")):
        try:
            asked = Decimal(str(lines.get(line)))
        except (InvalidOperation, ValueError):
            continue
        if asked.is_finite() and asked > most[line]:
            found.append(Breach(rule, f"budget_lines.{line}", f"{words} is over the allowance: at most "
                                f"{_money(most[line])} yuan per person for this itinerary (rule: "
                                f"{_allowance_words(ref, stops, line)}); asked {_money(asked)}."))
    return found


def _allowance_words(ref: Reference, stops: list[dict[str, Any]], line: str) -> str:
    parts = []
    for country in dict.fromkeys(str(s.get("country")) for s in stops):
        rate = ref.allowances.get(country)
        if rate is not None:
            amount, per = (rate.lodging, "a night") if line == "lodging" else (rate.meals, "a day")
            parts.append(f"{country} {amount} {rate.currency} {per}")
    return "allowances: " + ", ".join(parts)


def consistency(form: dict[str, Any]) -> dict[str, str]:
    """The group as such: one leader; each stop inside the trip, arriving before leaving, in order."""
    errors: dict[str, str] = {}
    members = form.get("members")
    if isinstance(members, list) and members and all(isinstance(m, dict) for m in members):
        leaders = sum(1 for m in members if m.get("leader") == "yes")
        if "leader" in members[0] and leaders != 1:
            errors["members"] = f"Exactly one member leads the group; {leaders} are marked as leader."
    start, end = _date(form.get("start_date")), _date(form.get("end_date"))
    previous: date | None = None
    for i, stop in enumerate(form.get("itinerary") or ()):
        if not isinstance(stop, dict):
            continue
        arrival, departure = _date(stop.get("arrival")), _date(stop.get("departure"))
        if arrival and departure and departure < arrival:
            errors[f"itinerary.{i}.departure"] = "Must not be before the arrival."
        elif arrival and start and arrival < start:
            errors[f"itinerary.{i}.arrival"] = "Must not be before leaving China."
        elif departure and end and departure > end:
            errors[f"itinerary.{i}.departure"] = "Must not be after coming back to China."
        elif arrival and previous and arrival < previous:
            errors[f"itinerary.{i}.arrival"] = "Must not be before leaving the previous stop."
        previous = departure or previous
    return errors


def outside_plan(form: dict[str, Any], ref: Reference) -> bool | None:
    """Whether this trip goes beyond the school's plan for its year (None: the school has no plan that year)."""
    if ref.plan is None:
        return None
    trips, people = ref.plan
    own = len(form.get("members") or ()) or 1
    return ref.used[0] + 1 > trips or ref.used[1] + own > people
