"""The statistics for the International Cooperation Department (/api/v1/stats/...), read from the read model.

The ICD and admins see the whole university; a school's dean sees that school only; anyone else gets 403.
Every table takes the same filters (academic year, school, kind, region) and counts as indicators.py says;
an unknown filter is a 422, not ignored: a misspelt one would otherwise give the whole university's numbers.

/places counts the selection rounds' places per partner and academic year (offered, taken, left unused): places
are the university's, not a school's, so only the ICD and admins see them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import func, select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tokens import Identity
from services.applications import indicators
from services.applications.models import MobilityFact, PlaceFact
from services.applications.schemas import (
    DefinitionsOut,
    StatsQuery,
    StatsReviewsOut,
    StatsSummaryOut,
    StatsTableOut,
    StatsTableQuery,
)

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats",
                description="Indicators of educational globalization, for the ICD (and deans, for their school)")
WHOLE_UNIVERSITY = ("icd_officer", "admin")


def visible_schools(identity: Identity) -> set[str] | None:
    """None: every school. Otherwise the schools this caller is dean of; 403 when there are none."""
    if any(identity.has_role(role) for role in WHOLE_UNIVERSITY):
        return None
    schools = {r["school"] for r in identity.roles if r.get("role") == "school_dean" and r.get("school")}
    if not schools:
        abort(403, message="The statistics are for the International Cooperation Department and the schools' deans.")
    return schools


def _filters(args: dict[str, Any]) -> dict[str, Any]:
    schools = visible_schools(current_identity())
    if schools is not None and args.get("school") not in (None, *schools):
        abort(403, message="You can see the statistics of your own school only.")
    return {**{k: args.get(k) for k in ("academic_year", "school", "kind", "region")},
            "schools": sorted(schools) if schools is not None else None}


def _mobility_filters(filters: dict[str, Any]) -> list[Any]:
    """The filters as conditions on stats_mobilities; review steps are filtered through their application, so
    an academic year is always the period's: the year's report shows the reviews of that year's mobilities."""
    conditions = [getattr(MobilityFact, name) == filters[name] for name in ("school", "kind", "region")
                  if filters[name] is not None]
    if filters["schools"] is not None:
        conditions.append(MobilityFact.school.in_(filters["schools"]))
    if filters["academic_year"] is not None:
        conditions.append(MobilityFact.academic_year == filters["academic_year"])
    return conditions


def _zone() -> ZoneInfo:
    return ZoneInfo(ctx().settings.timezone)


def _review_levels(filters: dict[str, Any], *, hours: bool = True) -> list[dict[str, Any]]:
    """The review steps of the applications under the filters, per level."""
    where = _mobility_filters(filters)
    with ctx().sessions() as session:
        decisions = session.execute(indicators.decisions_query(where)).all()
        durations = session.execute(indicators.hours_query(where, session.get_bind().dialect.name)).all() \
            if hours else []
    return indicators.review_levels(decisions, durations)


def _today() -> date:
    """The reporting date when none is named: today where the office is."""
    return datetime.now(_zone()).date()


def _years(filters: dict[str, Any]) -> list[int]:
    query = select(MobilityFact.academic_year).distinct().where(MobilityFact.academic_year.is_not(None))
    if filters["schools"] is not None:
        query = query.where(MobilityFact.school.in_(filters["schools"]))
    with ctx().sessions() as session:
        return sorted(session.scalars(query), reverse=True)


@blp.route("/summary")
class Summary(MethodView):
    @blp.arguments(StatsQuery, location="query", unknown=RAISE)
    @blp.response(200, StatsSummaryOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The headline indicators (see /api/v1/stats/definitions) under the filters."""
        filters = _filters(args)
        as_of = args.get("as_of") or _today()
        with ctx().sessions() as session:
            counts = session.execute(indicators.summary_query(as_of, _mobility_filters(filters))).one()
        levels = _review_levels(filters, hours=False)  # the return rate needs only the counts
        return {"as_of": as_of, "filters": filters, "academic_years": _years(filters),
                "indicators": indicators.summary(dict(counts._mapping), levels)}


@blp.route("/mobilities")
class Mobilities(MethodView):
    @blp.arguments(StatsTableQuery, location="query", unknown=RAISE)
    @blp.response(200, StatsTableOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Approved mobilities grouped by kind, school, partner, country, region, academic year or duration."""
        filters = _filters(args)
        as_of = args.get("as_of") or _today()
        with ctx().sessions() as session:
            rows = session.execute(indicators.table_query(args["group_by"], as_of, _mobility_filters(filters)))
            return {"as_of": as_of, "filters": filters, "group_by": args["group_by"],
                    "rows": indicators.table(args["group_by"], rows)}


@blp.route("/reviews")
class Reviews(MethodView):
    @blp.arguments(StatsQuery, location="query", unknown=RAISE)
    @blp.response(200, StatsReviewsOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Review throughput per level: decisions by outcome, return rate, hours from opening to decision."""
        filters = _filters(args)
        return {"filters": filters, "rows": _review_levels(filters)}


@blp.route("/definitions")
class Definitions(MethodView):
    @blp.response(200, DefinitionsOut)
    def get(self) -> dict[str, Any]:
        """How each indicator and each table column is counted (the same words as docs/indicators.md)."""
        visible_schools(current_identity())
        return {"indicators": indicators.DEFINITIONS, "tables": indicators.TABLE_DEFINITIONS}


class PlacesQuery(Schema):
    academic_year = fields.Integer(validate=validate.Range(min=2000, max=2100))


class PlacesRow(Schema):
    partner_id = fields.String()
    partner_name = fields.String()
    academic_year = fields.Integer(allow_none=True)
    offered = fields.Integer(metadata={"description": "places the rounds' latest allocation runs had"})
    taken = fields.Integer(metadata={"description": "approved student exchanges allocated there (accepted offer or "
                                                    "approved nomination)"})
    unused = fields.Integer(metadata={"description": "offered minus taken, never below 0"})


class PlacesOut(Schema):
    academic_year = fields.Integer(allow_none=True)
    rows = fields.List(fields.Nested(PlacesRow))


def places_by_partner(session: Any, academic_year: int | None) -> list[dict[str, Any]]:
    """Per partner and academic year: places offered in the selection rounds (their latest runs), taken by
    approved student exchanges allocated there, and left unused. A round's year is the one its allocation run
    named, else its students' (the earliest academic year of the mobilities in it)."""
    round_years = dict(session.execute(
        select(MobilityFact.selection_round_id, func.min(MobilityFact.academic_year))
        .where(MobilityFact.selection_round_id.is_not(None)).group_by(MobilityFact.selection_round_id)).all())
    rows: dict[tuple[str, int | None], dict[str, Any]] = defaultdict(
        lambda: {"partner_name": "", "offered": 0, "taken": 0})
    named_years: dict[str, int] = {}
    for place in session.scalars(select(PlaceFact)):
        if place.academic_year is not None:
            named_years[place.round_id] = place.academic_year
        year = place.academic_year if place.academic_year is not None else round_years.get(place.round_id)
        row = rows[(place.partner_id, year)]
        row["offered"] += place.places
        row["partner_name"] = place.partner_name or row["partner_name"]
    taken = session.execute(
        select(MobilityFact.allocated_partner_id, MobilityFact.allocated_partner_name, MobilityFact.academic_year,
               MobilityFact.selection_round_id, func.count())
        .where(MobilityFact.allocated_partner_id.is_not(None), MobilityFact.status == "approved")
        .group_by(MobilityFact.allocated_partner_id, MobilityFact.allocated_partner_name,
                  MobilityFact.academic_year, MobilityFact.selection_round_id))
    for partner_id, name, year, round_id, count in taken:
        row = rows[(partner_id, named_years.get(round_id, round_years.get(round_id, year)))]
        row["taken"] += count
        row["partner_name"] = row["partner_name"] or name or ""
    out = [{"partner_id": partner_id, "academic_year": year, **row,
            "unused": max(row["offered"] - row["taken"], 0)}
           for (partner_id, year), row in rows.items() if academic_year is None or year == academic_year]
    return sorted(out, key=lambda r: (-(r["academic_year"] or 0), r["partner_name"], r["partner_id"]))


@blp.route("/places")
class Places(MethodView):
    @blp.arguments(PlacesQuery, location="query", unknown=RAISE)
    @blp.response(200, PlacesOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Places by partner and academic year: offered, taken and left unused (the ICD's and admins')."""
        if visible_schools(current_identity()) is not None:
            abort(403, message="The places at partners are the university's: the ICD sees them.")
        with ctx().sessions() as session:
            return {"academic_year": args.get("academic_year"),
                    "rows": places_by_partner(session, args.get("academic_year"))}
