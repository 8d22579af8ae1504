"""HTTP resources of the applications service (behind the gateway at /api/v1/applications)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.tracing import correlation_id
from eventbus import envelope, outbox
from services.applications import domain
from services.applications.models import Application
from services.applications.schemas import ApplicationCreate, ApplicationOut

blp = Blueprint("applications", __name__, url_prefix="/api/v1/applications", description="Applications")
SOURCE = "/services/applications"


def _own(session: Any, application_id: str, for_update: bool = False) -> Application:
    # for_update: two concurrent submits of one draft must not both pass the status check.
    application = session.get(Application, str(application_id), with_for_update=for_update or None)
    # Someone else's application is "not found", not "forbidden": its existence is not disclosed.
    if application is None or application.applicant != current_identity().username:
        abort(404, message="No such application.")
    return application


@blp.route("")
class Applications(MethodView):
    @blp.response(200, ApplicationOut(many=True))
    def get(self) -> list[Application]:
        with ctx().sessions() as session:
            query = select(Application).where(Application.applicant == current_identity().username)
            return list(session.scalars(query.order_by(Application.created_at.desc())))

    @blp.arguments(ApplicationCreate)
    @blp.response(201, ApplicationOut)
    def post(self, body: dict[str, Any]) -> Application:
        identity = current_identity()
        if not identity.has_role("student"):
            abort(403, message="Only students can apply for a student exchange.")
        if not identity.school:
            abort(422, message="Your account has no school.", errors={"school": ["missing on the account"]})
        application = domain.new_draft(
            kind=body["kind"], applicant=identity.username, school=identity.school, locale=identity.locale,
            title=body["title"], data=body["data"], now=datetime.now(UTC),
        )
        with ctx().sessions() as session, session.begin():
            session.add(application)
        return application


@blp.route("/<uuid:application_id>")
class ApplicationItem(MethodView):
    @blp.response(200, ApplicationOut)
    def get(self, application_id: str) -> Application:
        with ctx().sessions() as session:
            return _own(session, application_id)


@blp.route("/<uuid:application_id>/submit")
class Submit(MethodView):
    @blp.response(200, ApplicationOut)
    def post(self, application_id: str) -> Application:
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            application = _own(session, application_id, for_update=True)
            try:
                domain.submit(application, now)
            except domain.TransitionError as exc:
                abort(409, message=str(exc))
            # The row and its event commit together: no event without the change, no change without it.
            outbox.add(session, envelope.new_event(
                "application.submitted", SOURCE, application.id,
                {
                    "application_id": application.id,
                    "kind": application.kind,
                    "applicant": application.applicant,
                    "school": application.school,
                    "version": application.version,
                    "title": application.title,
                    "locale": application.locale,
                    "submitted_at": now.isoformat(),
                },
                correlationid=correlation_id(), aggregateversion=application.version,
            ))
        return application
