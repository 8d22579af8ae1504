"""Where an application stands in its review, for its applicant (behind the gateway at
/api/v1/review-cases/{id}/progress): the levels with their role, scope and status, the current task's due
date, the round, and the last return comment (the decision's comment, never the internal note). Its applicant
and the reviewers who may read its decision log read it; anyone else gets 404."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.db import one_snapshot
from services.reviews.log_api import reader
from services.reviews.models import Decision, ReviewCase, ReviewTask

blp = Blueprint("review_progress", __name__, url_prefix="/api/v1/review-cases", description="Review progress")

OPEN = ("open", "claimed", "waiting")  # waiting: a publicity period running (its level is the current one)


class LevelProgress(Schema):
    level = fields.Integer()
    role = fields.String()
    scope = fields.String(metadata={"description": "school | university"})
    status = fields.String(validate=validate.OneOf(["done", "current", "pending"]),
                           metadata={"description": "done: approved at this level; current: its task is open"})
    due_at = fields.DateTime(allow_none=True, metadata={"description": "the current task's deadline"})


class ReturnComment(Schema):
    comment = fields.String(allow_none=True)
    role = fields.String()
    level = fields.Integer()
    round = fields.Integer()
    decided_at = fields.DateTime()


class ProgressOut(Schema):
    application_id = fields.String()
    status = fields.String(metadata={"description": "the case: open | changes_requested | approved | rejected | "
                                                   "withdrawn"})
    round = fields.Integer()
    levels = fields.List(fields.Nested(LevelProgress))
    current_level = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={"description": "the current task's deadline (UTC)"})
    last_return = fields.Nested(ReturnComment, allow_none=True)


def progress(case: ReviewCase, tasks: list[ReviewTask], decisions: list[Decision]) -> dict[str, Any]:
    """The case's levels in order: current where this round's task is open, done where someone approved."""
    current = next((t for t in tasks if t.round == case.round and t.status in OPEN), None)
    approved = {d.level for d in decisions if d.outcome == "approve"}
    levels = []
    for number, level in enumerate(case.levels, start=1):
        is_current = current is not None and current.level == number
        levels.append({"level": number, "role": level["role"], "scope": level.get("scope", "university"),
                       "status": "current" if is_current else "done" if number in approved else "pending",
                       "due_at": current.due_at if is_current and current else None})
    returned = [d for d in decisions if d.outcome == "return"]
    last = returned[-1] if returned else None
    return {
        "application_id": case.application_id, "status": case.status, "round": case.round, "levels": levels,
        "current_level": current.level if current else None, "due_at": current.due_at if current else None,
        "last_return": None if last is None else {"comment": last.comment, "role": last.role, "level": last.level,
                                                  "round": last.round, "decided_at": last.decided_at},
    }


@blp.route("/<uuid:application_id>/progress")
class Progress(MethodView):
    @blp.response(200, ProgressOut)
    def get(self, application_id: str) -> dict[str, Any]:
        """Where the application is: which level of how many, whose, due when, and the last return comment."""
        with ctx().sessions() as session:
            one_snapshot(session)  # the case, its tasks and decisions as of one moment (a new round opens all three)
            case = session.get(ReviewCase, str(application_id))
            tasks = list(session.scalars(select(ReviewTask).where(ReviewTask.application_id == str(application_id))
                                         .order_by(ReviewTask.round, ReviewTask.level)))
            if case is None or reader(case, tasks, current_identity()) is None:
                abort(404, message="No review for this application.")
            decisions = list(session.scalars(select(Decision).where(Decision.application_id == case.application_id)
                                             .order_by(Decision.id)))
            return progress(case, tasks, decisions)
