"""HTTP resources of the office's rules for staff trips abroad, kept as data (trip_rules.py judges filings
against them): /api/v1/trip-rules (each category's limits, the schools' own lead times), /api/v1/allowances (the
per-country allowances, edited one by one or imported from a CSV file) and /api/v1/trip-plans (the schools'
annual plans).

Anyone signed in reads the rules and allowances (the forms show the limits to applicants); admins change them.
A school's plan is read by the office (ICD officer, admin) and by that school's coordinators and deans, and set
by the office. An edit replaces the row; a category's edit may name the version it saw (If-Match), and a stale
one is refused with 412.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.errors import problem
from services.applications import access, allowances_csv
from services.applications.models import Allowance, MobilityFact, SchoolLeadTime, TripPlan, TripRule
from services.applications.trip_rules import CATEGORIES, KIND, LEAD_UNITS, PLANNED
from services.applications.trip_rules_schemas import (
    COUNTRY,
    AllowanceIn,
    AllowanceOut,
    ImportOut,
    LeadTimeIn,
    SchoolLeadTimeOut,
    TripPlanIn,
    TripPlanOut,
    TripPlanQuery,
    TripRuleIn,
    TripRuleOut,
    TripRulesOut,
)

blp = Blueprint("trip_rules", __name__, url_prefix="/api/v1", description="Rules for staff trips abroad")
LEAD_UNIT_LABELS = {"days": {"en": "days", "zh": "天"}, "working_days": {"en": "working days", "zh": "个工作日"}}
assert set(LEAD_UNIT_LABELS) == set(LEAD_UNITS)
_SCHOOL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MAX_CSV_BYTES = 1024 * 1024
CATEGORY_PARAM = {"in": "path", "name": "category", "schema": {"type": "string", "enum": list(CATEGORIES)}}
SCHOOL_PARAM = {"in": "path", "name": "school", "schema": {"type": "string", "pattern": f"^{_SCHOOL.pattern}$"}}
COUNTRY_PARAM = {"in": "path", "name": "country", "schema": {"type": "string", "pattern": COUNTRY}}
YEAR_PARAM = {"in": "path", "name": "year", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}}
CSV_BODY = {"content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}}},
    "description": "the table as CSV (UTF-8, with or without BOM), header country,currency,lodging,meals,cny_rate"}


def _admin() -> None:
    if not current_identity().has_role("admin"):
        abort(403, message="Only admins change the rules for staff trips.")


def _category(category: str) -> None:
    if category not in CATEGORIES:
        abort(404, message="No such category of staff trip.")


def _school(school: str) -> None:
    if not _SCHOOL.fullmatch(school):
        abort(422, message="Invalid school.", errors={"school": ["Must be a school's code."]})


def _version(rule: TripRule) -> str:
    content = [rule.max_countries, rule.max_members, rule.days_by_countries, rule.lead_time, rule.lead_unit]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def _rule_out(rule: TripRule) -> dict[str, Any]:
    return {"category": rule.category, "labels": CATEGORIES.get(rule.category, {"en": rule.category}),
            "max_countries": rule.max_countries, "max_members": rule.max_members,
            "days_by_countries": rule.days_by_countries, "lead_time": rule.lead_time, "lead_unit": rule.lead_unit,
            "version": _version(rule)}


def _order(category: str) -> int:
    return list(CATEGORIES).index(category) if category in CATEGORIES else len(CATEGORIES)


@blp.route("/trip-rules")
class TripRules(MethodView):
    @blp.response(200, TripRulesOut)
    def get(self) -> dict[str, Any]:
        """Every category's limits with its name, and the schools' own lead times."""
        with ctx().sessions() as session:
            rules = sorted(session.scalars(select(TripRule)), key=lambda r: _order(r.category))
            schools = session.scalars(select(SchoolLeadTime).order_by(SchoolLeadTime.school,
                                                                      SchoolLeadTime.category))
            return {"categories": [_rule_out(r) for r in rules], "schools": list(schools),
                    "lead_units": LEAD_UNIT_LABELS}


@blp.route("/trip-rules/<category>", parameters=[CATEGORY_PARAM])
class TripRuleItem(MethodView):
    @blp.arguments(TripRuleIn)
    @blp.response(200, TripRuleOut)
    @blp.alt_response(412, description="the rule changed since the version named in If-Match")
    def put(self, body: dict[str, Any], category: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Replace a category's limits (admins). If-Match: "<version>" refuses a stale edit with 412."""
        _admin()
        _category(category)
        seen = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
        with ctx().sessions() as session, session.begin():
            rule = session.get(TripRule, category, with_for_update=True)
            if seen and seen != "*" and (rule is None or seen != _version(rule)):
                abort(412, message="The rules changed since you read them: read them again.")
            if rule is None:
                rule = TripRule(category=category)
                session.add(rule)
            for name, value in body.items():
                setattr(rule, name, value)
            rule.days_by_countries = body["days_by_countries"] or None  # {} is no limit too
            session.flush()
            out = _rule_out(rule)
        return out, {"ETag": f'"{out["version"]}"'}


@blp.route("/trip-rules/<category>/schools/<school>", parameters=[CATEGORY_PARAM, SCHOOL_PARAM])
class SchoolLeadTimeItem(MethodView):
    @blp.arguments(LeadTimeIn)
    @blp.response(200, SchoolLeadTimeOut)
    def put(self, body: dict[str, Any], category: str, school: str) -> SchoolLeadTime:
        """Set a school's own lead time for a category (admins): it replaces the category's for that school."""
        _admin()
        _category(category)
        _school(school)
        with ctx().sessions() as session, session.begin():
            own = session.get(SchoolLeadTime, (school, category), with_for_update=True)
            if own is None:
                own = SchoolLeadTime(school=school, category=category)
                session.add(own)
            own.lead_time, own.lead_unit = body["lead_time"], body["lead_unit"]
            session.flush()
            return own

    @blp.response(204)
    def delete(self, category: str, school: str) -> None:
        """Drop a school's own lead time (admins): the category's applies again."""
        _admin()
        _category(category)
        with ctx().sessions() as session, session.begin():
            if session.execute(delete(SchoolLeadTime).where(SchoolLeadTime.school == school,
                                                            SchoolLeadTime.category == category)).rowcount == 0:
                abort(404, message="This school has no lead time of its own for this category.")


@blp.route("/allowances")
class Allowances(MethodView):
    @blp.response(200, AllowanceOut(many=True))
    def get(self) -> list[Allowance]:
        """Every country's allowances; `example` marks the rows the office has still to replace."""
        with ctx().sessions() as session:
            return list(session.scalars(select(Allowance).order_by(Allowance.country)))


def _country(country: str) -> None:
    if not re.fullmatch(COUNTRY, country):
        abort(422, message="Invalid country.",
              errors={"country": ["Must be an ISO 3166 code of two capital letters, e.g. DE."]})


def _store(session: Session, country: str, values: dict[str, Any]) -> bool:
    """Replace or add a country's allowances (no longer an example). True when it was added."""
    row = session.get(Allowance, country, with_for_update=True)
    added = row is None
    if row is None:
        row = Allowance(country=country)
        session.add(row)
    row.currency, row.example = values["currency"], False
    row.lodging, row.meals, row.cny_rate = (values[k].strip() for k in ("lodging", "meals", "cny_rate"))
    return added


@blp.route("/allowances/<country>", parameters=[COUNTRY_PARAM])
class AllowanceItem(MethodView):
    @blp.arguments(AllowanceIn)
    @blp.response(200, AllowanceOut)
    def put(self, body: dict[str, Any], country: str) -> Allowance:
        """Replace or add a country's allowances (admins); the row is no longer an example."""
        _admin()
        _country(country)
        with ctx().sessions() as session, session.begin():
            _store(session, country, body)
            session.flush()
            return session.get(Allowance, country)  # type: ignore[return-value]

    @blp.response(204)
    def delete(self, country: str) -> None:
        """Remove a country's allowances (admins): trips there are no longer checked against one."""
        _admin()
        with ctx().sessions() as session, session.begin():
            if session.execute(delete(Allowance).where(Allowance.country == country)).rowcount == 0:
                abort(404, message="No allowances for this country.")


def _uploaded() -> bytes:
    """The CSV file: the body (text/csv) or the multipart part `file`."""
    if (request.content_length or 0) > MAX_CSV_BYTES:
        abort(413, message=f"The file is larger than {MAX_CSV_BYTES // 1024} KB.")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="No file.", errors={"file": ["Choose the CSV file to import."]})
        return upload.stream.read(MAX_CSV_BYTES + 1)  # type: ignore[union-attr]
    return request.get_data()


@blp.route("/allowances/import")
class AllowancesImport(MethodView):
    @blp.doc(requestBody=CSV_BODY)
    @blp.response(200, ImportOut)
    @blp.alt_response(422, description="nothing was changed: `lines` lists the bad lines [{line, errors: {field: "
                      "[message]}}] (the header is line 1); `errors.file` says the same in sentences")
    @blp.alt_response(413, description="the file is larger than 1 MB")
    def post(self) -> Any:
        """Import the allowance table from CSV (admins): all or nothing; listed countries are replaced or added,
        the others kept."""
        _admin()
        content = _uploaded()
        if len(content) > MAX_CSV_BYTES:
            abort(413, message=f"The file is larger than {MAX_CSV_BYTES // 1024} KB.")
        try:
            parsed = allowances_csv.parse(allowances_csv.text_of(content))
        except allowances_csv.NotText as exc:
            abort(422, message=str(exc), errors={"file": [str(exc)]})
        if parsed.general or parsed.lines:
            detail = (f"{len(parsed.lines)} line(s) of the file have errors; nothing was imported."
                      if parsed.lines else "The file cannot be imported; nothing was imported.")
            said = [f"Line {e['line']}: " + " ".join(f"{field}: {' '.join(messages)}"
                                                     for field, messages in e["errors"].items())
                    for e in parsed.lines]
            return problem(422, "Unprocessable Entity", detail, errors={"file": said + parsed.general},
                           lines=parsed.lines)
        with ctx().sessions() as session, session.begin():
            added = sum(_store(session, country, values) for country, values in parsed.rows.items())
            session.flush()
            total = session.scalar(select(func.count()).select_from(Allowance)) or 0
        return {"added": added, "replaced": len(parsed.rows) - added, "total": total}


def _plan_scope() -> tuple[bool, set[str]]:
    """(reads every school's plan, the schools whose plans it reads); 403 for anyone else."""
    identity = current_identity()
    everywhere = access.can_manage_programs(identity)  # the office: ICD officer, admin
    schools = {str(r["school"]) for r in identity.roles
               if r.get("role") in access.SCHOOL_REVIEWERS and r.get("school")}
    if not everywhere and not schools:
        abort(403, message="Annual plans are read by the office and by each school's coordinators and deans.")
    return everywhere, schools


def _plan_out(session: Session, plan: TripPlan) -> dict[str, Any]:
    trips, people = session.execute(
        select(func.count(), func.coalesce(func.sum(MobilityFact.people), 0))
        .where(MobilityFact.kind == KIND, MobilityFact.school == plan.school, MobilityFact.status.in_(PLANNED),
               MobilityFact.start_date >= date(plan.year, 1, 1),
               MobilityFact.start_date <= date(plan.year, 12, 31))).one()
    return {"school": plan.school, "year": plan.year, "trips": plan.trips, "people": plan.people,
            "used_trips": int(trips), "used_people": int(people)}


@blp.route("/trip-plans")
class TripPlans(MethodView):
    @blp.arguments(TripPlanQuery, location="query")
    @blp.response(200, TripPlanOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The schools' annual plans (of one year with `year`), with the trips filed against them so far: every
        school's for the office, their own school's for its coordinators and deans."""
        everywhere, schools = _plan_scope()
        query = select(TripPlan).order_by(TripPlan.year.desc(), TripPlan.school)
        if "year" in args:
            query = query.where(TripPlan.year == args["year"])
        if not everywhere:
            query = query.where(TripPlan.school.in_(schools))
        with ctx().sessions() as session:
            return [_plan_out(session, plan) for plan in session.scalars(query)]


@blp.route("/trip-plans/<school>/<int:year>", parameters=[SCHOOL_PARAM, YEAR_PARAM])
class TripPlanItem(MethodView):
    @blp.arguments(TripPlanIn)
    @blp.response(200, TripPlanOut)
    def put(self, body: dict[str, Any], school: str, year: int) -> dict[str, Any]:
        """Set a school's plan for a year (the office: ICD officer, admin)."""
        if not access.can_manage_programs(current_identity()):
            abort(403, message="Only the International Cooperation Department sets the annual plans.")
        _school(school)
        if not 2000 <= year <= 2100:
            abort(422, message="Invalid year.", errors={"year": ["Must be between 2000 and 2100."]})
        with ctx().sessions() as session, session.begin():
            plan = session.get(TripPlan, (school, year), with_for_update=True)
            if plan is None:
                plan = TripPlan(school=school, year=year)
                session.add(plan)
            plan.trips, plan.people = body["trips"], body["people"]
            session.flush()
            return _plan_out(session, plan)
