"""HTTP resource for what an application looked like at each submission (behind the gateway at
/api/v1/applications/{id}/submissions): the applicant and the reviewers in scope read it, oldest first."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import select

from chassis.app import ctx
from chassis.blueprint import Blueprint
from services.applications.api import load_readable
from services.applications.models import Submission

blp = Blueprint("submissions", __name__, url_prefix="/api/v1/applications", description="Application submissions")


class SubmittedDocument(Schema):
    doc_type = fields.String()
    filename = fields.String()


class SubmissionOut(Schema):
    version = fields.Integer(metadata={"description": "the content version submitted"})
    submitted_at = fields.DateTime()
    form = fields.Dict(metadata={"description": "the form as submitted"})
    documents = fields.List(fields.Nested(SubmittedDocument), metadata={
        "description": "the documents attached when it was submitted, oldest first"})


@blp.route("/<uuid:application_id>/submissions")
class Submissions(MethodView):
    @blp.response(200, SubmissionOut(many=True))
    def get(self, application_id: str) -> list[Submission]:
        """Each submission of the application, oldest first: its version, time, form and documents' names
        (submissions before this list existed are not in it)."""
        with ctx().sessions() as session:
            load_readable(session, application_id)
            query = select(Submission).where(Submission.application_id == str(application_id))
            return list(session.scalars(query.order_by(Submission.submitted_at, Submission.id)))
