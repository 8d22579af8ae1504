"""HTTP resources of the 任务批件 (approvals.py): the document of an approved application and its PDF, the
verification of a token, cancelling an approved application, and a year's number prefix.

The document and its PDF: whoever may read the application (its applicant, the school's reviewers, the office).
Verification: any caller the gateway signs for (the public page /verify/<token> calls it with its own identity);
the unguessable token is the credential and only the listed fields come back. Cancelling: the applicant or the
office (ICD officer, admin), with a reason. The prefix: admins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import abort

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from eventbus import outbox
from services.applications import access, approval_pdf, approvals, change_requests, domain
from services.applications.api import load_readable, seen_version
from services.applications.approvals_schemas import (
    ApprovalOut,
    CancelIn,
    PdfQuery,
    SeriesIn,
    SeriesOut,
    VerificationOut,
)
from services.applications.events import application_event
from services.applications.models import ApprovalDocument
from services.applications.schemas import ApplicationOut

blp = Blueprint("approvals", __name__, url_prefix="/api/v1", description="Approval documents (任务批件)")
PDF_RESPONSE = {"200": {"description": "the document as a PDF (its font embedded)",
                        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


def verify_url(token: str) -> str:
    return f"{ctx().settings.public_base_url}/verify/{token}"


def _current(application_id: str) -> ApprovalDocument:
    with ctx().sessions() as session:
        application = load_readable(session, application_id)
        document = approvals.current(session, application.id)
    if document is None:
        abort(404, message="This application has no approval document (it is not approved, or its kind has none).")
    return document


@blp.route("/applications/<uuid:application_id>/approval")
class Approval(MethodView):
    @blp.response(200, ApprovalOut)
    def get(self, application_id: str) -> dict[str, Any]:
        """The current revision of the application's 任务批件: its number, status and verification address."""
        document = _current(application_id)
        return {**{name: getattr(document, name) for name in (
            "number", "revision", "status", "superseded_by", "cancel_reason", "issued_at", "cancelled_at")},
            "verify_url": verify_url(document.token),
            "pdf_url": f"/api/v1/applications/{application_id}/approval.pdf"}


@blp.route("/applications/<uuid:application_id>/approval.pdf")
class ApprovalPdf(MethodView):
    @blp.arguments(PdfQuery, location="query")
    @blp.doc(responses=PDF_RESPONSE)
    def get(self, query: dict[str, str], application_id: str) -> Response:
        """The current revision as a PDF, in Chinese (the default) or English (`lang=en`)."""
        settings = ctx().settings
        document = _current(application_id)
        with ctx().sessions() as session:
            signoffs = approvals.signoffs(session, document)
        body = approval_pdf.render(document, signoffs, language=query["lang"], verify_url=verify_url(document.token),
                                   font=settings.pdf_font, timezone=settings.timezone)
        name = f"approval-{document.year}-{document.seq}-r{document.revision}-{query['lang']}.pdf"
        return Response(body, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff"})


@blp.route("/approvals/verify/<string:token>")
class Verify(MethodView):
    @blp.response(200, VerificationOut)
    def get(self, token: str) -> dict[str, Any]:
        """What the public verification page shows of the document this token belongs to; 404 for any other."""
        with ctx().sessions() as session:
            document = approvals.by_token(session, token)
            if document is None:
                abort(404, message="No approval document has this verification code.")
            return approvals.verification(document)


@blp.route("/applications/<uuid:application_id>/cancel")
class Cancel(MethodView):
    @blp.arguments(CancelIn)
    @blp.response(200, ApplicationOut)
    def post(self, body: dict[str, Any], application_id: str) -> Any:
        """Cancel an approved application (its applicant, or an ICD officer or administrator), with a reason;
        its 任务批件 is cancelled with it."""
        identity, now = current_identity(), datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            application = load_readable(session, application_id, for_update=True)
            if not access.can_cancel(identity, application):
                abort(403, message="Only the applicant or the office can cancel an application.")
            domain.check_version(application, seen_version(body))
            reason = body["reason"].strip()
            session.add(domain.transition(application, "cancelled", actor=identity.username, now=now, comment=reason))
            document = approvals.cancel(session, application, reason, now)
            change_requests.close_on_cancel(session, application, now)
            outbox.add(session, application_event(
                "application.cancelled", application, application.program, correlationid=correlation_id(),
                cancelled_at=now, cancelled_by=identity.username, reason=reason,
                approval_number=document.number if document else None))
        return application, {"ETag": f'"{application.version}"'}


@blp.route("/approval-series/<int:year>", parameters=[
    {"in": "path", "name": "year", "schema": {"type": "integer", "minimum": 2000, "maximum": 2999}}])
class Series(MethodView):
    @blp.arguments(SeriesIn)
    @blp.response(200, SeriesOut)
    def put(self, body: dict[str, Any], year: int) -> Any:
        """Set a year's number prefix (admins): numbers given from now on carry it; sequence numbers go on."""
        if not current_identity().has_role("admin"):
            abort(403, message="Only an administrator sets the approval number's prefix.")
        if not 2000 <= year <= 2999:
            abort(422, message="Name a year between 2000 and 2999.", errors={"year": ["Between 2000 and 2999."]})
        with ctx().sessions() as session, session.begin():
            series = approvals.set_prefix(session, year, body["prefix"].strip())
            return {"year": series.year, "prefix": series.prefix, "last_seq": series.last_seq}
