"""The level conditions' registry as data (/api/v1/review-conditions): each condition's name, its labels in
en/zh ("{value}" stands for the threshold) and its threshold's JSON Schema, so that a chain editor offers
the conditions by name instead of asking for JSON. Reviewers and admins read it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.reviews.conditions import CONDITIONS
from services.reviews.roles import reviewing

blp = Blueprint("review_conditions", __name__, url_prefix="/api/v1/review-conditions",
                description="Level conditions")


class ConditionOut(Schema):
    name = fields.String()
    labels = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": 'by language (en, zh); "{value}" stands for the threshold'})
    threshold = fields.Dict(metadata={"description": "JSON Schema of the threshold the condition takes"})


@blp.route("")
class Conditions(MethodView):
    @blp.response(200, ConditionOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The conditions a chain level may carry, in the registry's order."""
        if not reviewing(current_identity().roles):
            abort(403, message="The level conditions are for reviewers and admins.")
        return [{"name": name, "labels": dict(c.labels), "threshold": dict(c.threshold)}
                for name, c in CONDITIONS.items()]
