"""The decision log of one application (behind the gateway at /api/v1/applications/{id}/reviews):
the applicant reads it without internal notes; reviewers of the application read all of it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tokens import Identity
from services.reviews import domain
from services.reviews.models import Decision, ReviewCase, ReviewTask
from services.reviews.schemas import DecisionOut


def reader(case: ReviewCase, tasks: list[ReviewTask], identity: Identity) -> str | None:
    """"applicant", "reviewer" (someone whose roles cover one of its tasks, or university-wide), or None."""
    if identity.username == case.applicant:
        return "applicant"  # an applicant who also reviews still reads their own file as its applicant
    university_wide = any(r.get("role") in ("icd_officer", "vice_president", "admin") for r in identity.roles)
    return "reviewer" if university_wide or any(domain.covers(identity.roles, t) for t in tasks) else None


blp = Blueprint("decision_log", __name__, url_prefix="/api/v1/applications", description="Decision log")


@blp.route("/<uuid:application_id>/reviews")
class DecisionLog(MethodView):
    @blp.response(200, DecisionOut(many=True))
    def get(self, application_id: str) -> list[dict[str, Any]]:
        identity = current_identity()
        with ctx().sessions() as session:
            case = session.get(ReviewCase, str(application_id))
            if case is None:
                abort(404, message="No reviews for this application.")
            tasks = list(session.scalars(select(ReviewTask).where(ReviewTask.application_id == case.application_id)))
            role = reader(case, tasks, identity)
            if role is None:
                abort(404, message="No reviews for this application.")
            reviewer = role == "reviewer"
            query = select(Decision).where(Decision.application_id == case.application_id).order_by(Decision.id)
            log = [
                {c: getattr(d, c) for c in DecisionOut().fields} for d in session.scalars(query)
            ]
        if not reviewer:
            for entry in log:
                entry["internal_note"] = None  # internal notes stay among reviewers
        return log
