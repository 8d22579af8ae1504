"""Publicity periods (公示) over HTTP (/api/v1/publicity): staff read the running notices and object under their
own name; the statement (公示情况说明) PDF for the applicant, the case's reviewers and the ICD.

A notice shows only what the application published in it (members' names, schools and posts; countries; tasks;
schedule; inviter; funding; budget), never the rest of the file. Objectors are named only to ICD officers and
admins. Staff: anyone signed in with a role other than student; others get 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.db import one_snapshot
from chassis.tokens import Identity
from services.reviews import publicity, publicity_statement
from services.reviews.errors import Forbidden
from services.reviews.log_api import reader
from services.reviews.models import Objection, PublicityNotice, ReviewCase, ReviewTask

blp = Blueprint("publicity", __name__, url_prefix="/api/v1/publicity", description="Publicity periods (公示)")

ICD = ("icd_officer", "admin")


class ObjectionIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ObjectionOut(Schema):
    id = fields.String()
    text = fields.String()
    lodged_at = fields.DateTime()
    status = fields.String(metadata={"description": "open | upheld | dismissed"})
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True, metadata={"description": "the ICD's reasons"})
    objector = fields.String(metadata={"description": "ICD officers and admins only (and the objector)"})
    objector_name = fields.String(metadata={"description": "ICD officers and admins only (and the objector)"})
    decided_by = fields.String(allow_none=True, metadata={"description": "ICD officers and admins only"})


class NoticeOut(Schema):
    application_id = fields.String()
    round = fields.Integer()
    status = fields.String(metadata={"description": "open | paused | ended | upheld | withdrawn | blocked (ICD only: "
                                                   "the calendar does not know the year, see reason)"})
    working_days = fields.Integer()
    opened_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True, metadata={"description": "the last day (office's zone)"})
    remaining_working_days = fields.Integer(allow_none=True, metadata={"description": "while paused"})
    reason = fields.String(allow_none=True)
    notice = fields.Dict(allow_none=True, metadata={
        "description": "the trip as publicised: members [{name, school, post}], countries, tasks, schedule "
                       "[{country, city, institution, arrival, departure}], start_date, end_date, inviter "
                       "{institution, description}, funding_source, budget"})
    objections = fields.List(fields.Nested(ObjectionOut))


def _staff(identity: Identity) -> None:
    if not any(r.get("role") not in (None, "student") for r in identity.roles):
        abort(403, message="Publicity notices are for the university's staff.")


def _is_icd(identity: Identity) -> bool:
    return any(identity.has_role(role) for role in ICD)


def _objection(o: Objection, identity: Identity) -> dict[str, Any]:
    shown = {"id": o.id, "text": o.text, "lodged_at": o.lodged_at, "status": o.status, "decided_at": o.decided_at,
             "comment": o.comment}
    if _is_icd(identity) or o.objector == identity.username:
        shown |= {"objector": o.objector, "objector_name": o.objector_name, "decided_by": o.decided_by}
    return shown


def _shown(session: Session, notice: PublicityNotice, identity: Identity) -> dict[str, Any]:
    objections = session.scalars(select(Objection).where(Objection.notice_id == notice.id)
                                 .order_by(Objection.lodged_at, Objection.id))
    return {"application_id": notice.application_id, "round": notice.round, "status": notice.status,
            "working_days": notice.working_days, "opened_on": notice.opened_on, "ends_on": notice.ends_on,
            "remaining_working_days": notice.remaining, "reason": notice.reason, "notice": notice.content,
            "objections": [_objection(o, identity) for o in objections]}


def _latest(session: Session, application_id: str, identity: Identity) -> PublicityNotice:
    """The application's latest period; 404 when it has none, or (but for the ICD) none published yet."""
    notice = session.scalars(select(PublicityNotice).where(PublicityNotice.application_id == application_id)
                             .order_by(PublicityNotice.round.desc()).limit(1)).first()
    # Never opened (blocked, or withdrawn while blocked): never published, so only the ICD reads it.
    if notice is None or (notice.opened_on is None and not _is_icd(identity)):
        abort(404, message="No publicity notice for this application.")
    return notice


@blp.route("")
class Notices(MethodView):
    @blp.response(200, NoticeOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The running notices (open or paused), the soonest ending first."""
        identity = current_identity()
        _staff(identity)
        with ctx().sessions() as session:
            one_snapshot(session)  # each notice with its objections as of one moment
            latest = (select(PublicityNotice.application_id, func.max(PublicityNotice.round).label("round"))
                      .group_by(PublicityNotice.application_id).subquery())
            notices = session.scalars(
                select(PublicityNotice)
                .join(latest, (PublicityNotice.application_id == latest.c.application_id)
                      & (PublicityNotice.round == latest.c.round))
                .where(PublicityNotice.status.in_(publicity.RUNNING))
                .order_by(PublicityNotice.ends_on, PublicityNotice.id))
            return [_shown(session, n, identity) for n in notices]


@blp.route("/<uuid:application_id>")
class Notice(MethodView):
    @blp.response(200, NoticeOut)
    def get(self, application_id: str) -> dict[str, Any]:
        """The application's latest notice, with its objections."""
        identity = current_identity()
        _staff(identity)
        with ctx().sessions() as session:
            one_snapshot(session)
            return _shown(session, _latest(session, str(application_id), identity), identity)


@blp.route("/<uuid:application_id>/objections")
class Objections(MethodView):
    @blp.arguments(ObjectionIn)
    @blp.response(201, ObjectionOut)
    def post(self, body: dict[str, Any], application_id: str) -> dict[str, Any]:
        """Object, under your name, to a running (open) notice: the period pauses until an ICD officer decides
        (409 when it is paused, ended or otherwise not running)."""
        identity, now = current_identity(), datetime.now(UTC)
        _staff(identity)
        if not body["text"].strip():
            abort(422, message="Say what the objection is.", errors={"text": ["Say what the objection is."]})
        with ctx().sessions() as session, session.begin():
            case, notice = publicity.locked(session, str(application_id))
            if case is None or notice is None or (notice.status == "blocked" and not _is_icd(identity)):
                abort(404, message="No publicity notice for this application.")
            if case.applicant == identity.username:
                raise Forbidden("Nobody objects to their own trip.")
            objection = publicity.lodge(session, case, notice, objector=identity.username,
                                        objector_name=identity.name or identity.username, text=body["text"].strip(),
                                        now=now, zone=ctx().settings.timezone)
            return _objection(objection, identity)


@blp.route("/<uuid:application_id>/statement.pdf")
class Statement(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    def get(self, application_id: str) -> Response:
        """The publicity statement (公示情况说明) of the latest period: the period, the objections and their
        outcome, the result. For the applicant, the case's reviewers and the ICD; 409 before it opened."""
        identity = current_identity()
        settings = ctx().settings
        with ctx().sessions() as session:
            case = session.get(ReviewCase, str(application_id))
            tasks = [] if case is None else list(session.scalars(
                select(ReviewTask).where(ReviewTask.application_id == case.application_id)))
            if case is None or reader(case, tasks, identity) is None:
                abort(404, message="No publicity notice for this application.")
            notice = _latest(session, case.application_id, identity)
            if notice.opened_on is None:
                abort(409, message="The publicity period has not opened yet.")
            objections = [{"text": o.text, "lodged_at": o.lodged_at, "status": o.status, "decided_at": o.decided_at,
                           "comment": o.comment}
                          for o in session.scalars(select(Objection).where(Objection.notice_id == notice.id)
                                                   .order_by(Objection.lodged_at, Objection.id))]
            period = {"opened_on": notice.opened_on, "ends_on": notice.ends_on, "working_days": notice.working_days,
                      "status": notice.status, "content": notice.content}
        pdf = publicity_statement.build(period, objections, font_path=settings.pdf_font, zone=settings.timezone,
                                        issued_at=datetime.now(UTC))
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="publicity-{application_id}.pdf"',
            "X-Content-Type-Options": "nosniff"})
