"""HTTP resources of changes after approval (change_requests.py): the applicant asks for one (the whole form as it
would become, and why), and whoever may read the application lists them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from services.applications import change_requests, domain
from services.applications.api import load_own, load_readable, reference_for, seen_version
from services.applications.models import ChangeRequest

blp = Blueprint("change_requests", __name__, url_prefix="/api/v1/applications",
                description="Changes of an approved application, re-approved by its chain")


class ChangeIn(Schema):
    form = fields.Dict(required=True, metadata={"description": "the whole form as it would become"})
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000),
                                                    validate.Regexp(r"\s*\S", error="Say why the trip changes.")])
    version = fields.Integer(metadata={"description": "the version you saw (or an If-Match header)"})


class ChangeOut(Schema):
    id = fields.String()
    number = fields.Integer(metadata={"description": "1, 2, ... per application"})
    version = fields.Integer(metadata={"description": "the content version it becomes when approved"})
    form = fields.Dict()
    reason = fields.String()
    status = fields.String(metadata={"description": "pending | approved | rejected | cancelled (the trip was)"})
    requested_by = fields.String()
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True)


class ChangeList(Schema):
    items = fields.List(fields.Nested(ChangeOut))


@blp.route("/<uuid:application_id>/change-requests")
class ChangeRequests(MethodView):
    @blp.response(200, ChangeList)
    def get(self, application_id: str) -> dict[str, Any]:
        """The application's change requests, oldest first."""
        with ctx().sessions() as session:
            application = load_readable(session, application_id)
            items = list(session.scalars(select(ChangeRequest).where(ChangeRequest.application_id == application.id)
                                         .order_by(ChangeRequest.number)))
            return {"items": items}

    @blp.arguments(ChangeIn)
    @blp.response(201, ChangeOut)
    def post(self, body: dict[str, Any], application_id: str) -> Any:
        """Ask for a change of an approved application (its applicant): the form is judged like a submission's
        and the chain re-approves it; until then the approved form and its 任务批件 stand."""
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            application = load_own(session, application_id)
            domain.check_version(application, seen_version(body))
            kind = domain.kind_of(application.kind)
            change = change_requests.request(
                session, application, body["form"], body["reason"].strip(), actor=current_identity().username,
                now=now, reference=reference_for(session, kind, application.school, body["form"]),
                correlationid=correlation_id())
        return change
