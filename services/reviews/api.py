"""HTTP resources of the reviews service (behind the gateway at /api/v1/tasks)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import and_, false, or_, select

from chassis.app import ctx
from chassis.auth import current_identity
from services.reviews import domain
from services.reviews.models import ReviewTask
from services.reviews.schemas import TaskOut

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Review tasks")


@blp.route("")
class Tasks(MethodView):
    @blp.response(200, TaskOut(many=True))
    def get(self) -> list[ReviewTask]:
        """The caller's queue: open tasks their roles and scopes allow, soonest due first."""
        scopes = [
            and_(ReviewTask.role == role, True if school is None else ReviewTask.school == school)
            for role, school in domain.visible_to(current_identity().roles)
        ]
        query = (
            select(ReviewTask)
            .where(ReviewTask.status == "open", or_(false(), *scopes))
            .order_by(ReviewTask.due_at, ReviewTask.id)
            .limit(200)
        )
        with ctx().sessions() as session:
            return list(session.scalars(query))
