"""The statistics for the International Cooperation Department (/api/v1/stats/...), read from the read model.

The ICD and admins see the whole university; a school's dean sees that school only; anyone else gets 403.
Every table takes the same filters (academic year, school, kind, region) and counts as indicators.py says;
an unknown filter is a 422, not ignored: a misspelt one would otherwise give the whole university's numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import RAISE
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.tokens import Identity
from services.applications import indicators
from services.applications.models import MobilityFact, ReviewStep
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
    """The filters as conditions on stats_mobilities (review steps are filtered through their application)."""
    conditions = [getattr(MobilityFact, name) == filters[name] for name in ("school", "kind", "region")
                  if filters[name] is not None]
    if filters["schools"] is not None:
        conditions.append(MobilityFact.school.in_(filters["schools"]))
    return conditions


def _mobilities(filters: dict[str, Any]) -> list[Any]:
    query = select(MobilityFact).where(*_mobility_filters(filters))
    if filters["academic_year"] is not None:
        query = query.where(MobilityFact.academic_year == filters["academic_year"])
    with ctx().sessions() as session:
        return list(session.scalars(query))


def _steps(filters: dict[str, Any]) -> list[Any]:
    """Decided review steps of the applications under the filters; in an academic year by the day of the
    decision (not the period's year: this is the reviewers' work in that year)."""
    query = (select(ReviewStep).join(MobilityFact, MobilityFact.application_id == ReviewStep.application_id)
             .where(ReviewStep.outcome.is_not(None), *_mobility_filters(filters)))
    if filters["academic_year"] is not None:
        year = filters["academic_year"]
        query = query.where(ReviewStep.decided_at >= datetime(year, 9, 1, tzinfo=UTC),
                            ReviewStep.decided_at < datetime(year + 1, 9, 1, tzinfo=UTC))
    with ctx().sessions() as session:
        return list(session.scalars(query))


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
        as_of = args.get("as_of") or date.today()
        return {"as_of": as_of, "filters": filters, "academic_years": _years(filters),
                "indicators": indicators.summary(_mobilities(filters), _steps(filters), as_of)}


@blp.route("/mobilities")
class Mobilities(MethodView):
    @blp.arguments(StatsTableQuery, location="query", unknown=RAISE)
    @blp.response(200, StatsTableOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Approved mobilities grouped by kind, school, partner, country, region, academic year or duration."""
        filters = _filters(args)
        as_of = args.get("as_of") or date.today()
        return {"as_of": as_of, "filters": filters, "group_by": args["group_by"],
                "rows": indicators.table(_mobilities(filters), args["group_by"], as_of)}


@blp.route("/reviews")
class Reviews(MethodView):
    @blp.arguments(StatsQuery, location="query", unknown=RAISE)
    @blp.response(200, StatsReviewsOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Review throughput per level: decisions by outcome, return rate, hours from opening to decision."""
        filters = _filters(args)
        return {"filters": filters, "rows": indicators.review_levels(_steps(filters))}


@blp.route("/definitions")
class Definitions(MethodView):
    @blp.response(200, DefinitionsOut)
    def get(self) -> dict[str, Any]:
        """How each indicator and each table column is counted (the same words as docs/indicators.md)."""
        visible_schools(current_identity())
        return {"indicators": indicators.DEFINITIONS, "tables": indicators.TABLE_DEFINITIONS}
