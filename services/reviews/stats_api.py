"""Queue statistics for the ICD (/api/v1/review-stats): open tasks per level and school, and how long
each level takes (median and 90th percentile, in hours)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import func, select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.reviews.models import ReviewCase, ReviewTask
from services.reviews.schemas import StatsOut

blp = Blueprint("review_stats", __name__, url_prefix="/api/v1/review-stats", description="Review statistics")


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


@blp.route("")
class Stats(MethodView):
    @blp.response(200, StatsOut)
    def get(self) -> dict[str, Any]:
        identity = current_identity()
        if not (identity.has_role("icd_officer") or identity.has_role("admin")):
            abort(403, message="Queue statistics are for the International Cooperation Department.")
        with ctx().sessions() as session:
            # Per the application's school, also for university-wide levels (their task has no school scope).
            open_rows = session.execute(
                select(ReviewTask.level, ReviewTask.role, ReviewCase.school, func.count())
                .join(ReviewCase, ReviewCase.application_id == ReviewTask.application_id)
                .where(ReviewTask.status.in_(("open", "claimed")))
                .group_by(ReviewTask.level, ReviewTask.role, ReviewCase.school)
                .order_by(ReviewTask.level, ReviewCase.school)
            ).all()
            done = session.execute(
                select(ReviewTask.level, ReviewTask.created_at, ReviewTask.decided_at)
                .where(ReviewTask.status == "done")
            ).all()
        hours: dict[int, list[float]] = defaultdict(list)
        for level, created, decided in done:
            hours[level].append((decided - created).total_seconds() / 3600)
        return {
            "open": [
                {"level": lv, "role": role, "school": school, "open_tasks": n} for lv, role, school, n in open_rows
            ],
            "time_per_level": [
                {"level": lv, "decided": len(v), "median_hours": round(statistics.median(v), 2),
                 "p90_hours": round(_p90(v), 2)}
                for lv, v in sorted(hours.items())
            ],
        }
