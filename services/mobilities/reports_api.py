"""HTTP resources for reports (behind the gateway at /api/v1/mobilities): a record's report (written by its owner
or the office, handed in, decided by the school and then the ICD), the reviewers' queue, the published reports,
and the overdue dashboard."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.db import one_snapshot
from chassis.tracing import correlation_id
from services.mobilities import access, domain, reports
from services.mobilities.api import MOBILITY, load, load_for_action, scope_filter, shown, today
from services.mobilities.kinds import journey
from services.mobilities.models import Hold, Mobility, Report
from services.mobilities.schemas import (
    DecisionIn,
    DueList,
    MobilityOut,
    PublishedList,
    ReportIn,
    ReportOut,
    ReportQueue,
)

blp = Blueprint("mobility_reports", __name__, url_prefix="/api/v1/mobilities",
                description="Trip reports and event summaries; the overdue dashboard")


def _report(session: Any, record: Mobility, lock: bool = False) -> Report:
    report = reports.of(session, record.id, lock=lock)
    if report is None:
        abort(404, message="This mobility owes no report (yet: it opens on return).")
    return report


@blp.route("/<uuid:mobility_id>/report", parameters=[MOBILITY])
class OneReport(MethodView):
    @blp.response(200, ReportOut)
    def get(self, mobility_id: uuid.UUID) -> dict[str, Any]:
        with ctx().sessions() as session:
            record = load(session, mobility_id)
            return reports.shown(session, record, _report(session, record))

    @blp.arguments(ReportIn)
    @blp.response(200, ReportOut)
    def put(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """Save the report's sections (a draft, or a returned report being corrected)."""
        with ctx().sessions() as session, session.begin():
            record = load_for_action(session, mobility_id)
            report = _report(session, record, lock=True)
            if report.status not in ("draft", "returned"):
                raise domain.MobilityError(f"This report is '{report.status}': it cannot be edited now.")
            allowed = set(journey(record.kind).sections)
            unknown = sorted(set(body["sections"]) - allowed)
            if unknown:
                abort(422, message="Unknown sections for this kind.",
                      errors={"sections": [f"Not a section of this report: {', '.join(unknown)}."]})
            report.sections = {name: body["sections"].get(name, "") for name in journey(record.kind).sections}
            report.updated_at = datetime.now(UTC)
            return reports.shown(session, record, report)


@blp.route("/<uuid:mobility_id>/report/submit", parameters=[MOBILITY])
class SubmitReport(MethodView):
    @blp.response(200, MobilityOut)
    def post(self, mobility_id: uuid.UUID) -> dict[str, Any]:
        """Hand the report in; 422 naming what is missing (length, photos, attendee list)."""
        with ctx().sessions() as session, session.begin():
            record = load_for_action(session, mobility_id)
            reports.submit(session, record, _report(session, record, lock=True), today(), correlation_id())
            session.flush()
            return shown(session, record)


@blp.route("/<uuid:mobility_id>/report/decision", parameters=[MOBILITY])
class DecideReport(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, MobilityOut)
    def post(self, body: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """Accept or return the report: the school's reviewer first, then the ICD; the ICD's acceptance
        publishes it and clears the holds its lateness placed."""
        identity = current_identity()
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            record = load(session, mobility_id, lock=True)
            report = _report(session, record, lock=True)
            stage = "icd" if report.status == "school_accepted" else "school"
            if not access.can_decide(identity, record, stage):
                abort(403, message=f"This report waits for the {'ICD' if stage == 'icd' else 'school'}.")
            reports.decide(session, record, report, stage, body["outcome"], identity.username, body["comment"],
                           now, today(), correlation_id())
            session.flush()
            return shown(session, record)


class QueueQuery(Schema):
    stage = fields.String(load_default=None, validate=validate.OneOf(("school", "icd")))


@blp.route("/reports")
class Queue(MethodView):
    @blp.arguments(QueueQuery, location="query")
    @blp.response(200, ReportQueue)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The reports waiting for the caller: the school stage for a school's reviewers, the ICD stage for it."""
        identity = current_identity()
        stages = [query["stage"]] if query["stage"] else ["school", "icd"]
        waiting = {"school": "submitted", "icd": "school_accepted"}
        with ctx().sessions() as session:
            rows = session.execute(select(Report, Mobility).join(Mobility, Mobility.id == Report.mobility_id).where(
                Report.status.in_([waiting[s] for s in stages])).order_by(Report.submitted_on))
            items = []
            for report, record in rows:
                stage = "icd" if report.status == "school_accepted" else "school"
                if access.can_decide(identity, record, stage):
                    items.append({"mobility": shown(session, record), "stage": stage})
            return {"items": items}


@blp.route("/published")
class Published(MethodView):
    @blp.response(200, PublishedList)
    def get(self) -> dict[str, Any]:
        """Accepted reports within their publication period (公示 of the trip's results), for anyone signed in."""
        with ctx().sessions() as session:
            return {"items": [{
                "mobility_id": record.id, "title": record.title, "school": record.school, "kind": record.kind,
                "person": {"name": record.person_name, "staff_number": None, "role": record.role},
                "sections": report.sections, "accepted_on": report.accepted_on,
                "published_until": report.published_until,
            } for report, record in reports.published(session, today())]}


@blp.route("/overdue")
class Overdue(MethodView):
    @blp.response(200, DueList)
    def get(self) -> dict[str, Any]:
        """What is overdue in the caller's scope (a school's reviewers: their school; the office: all)."""
        identity = current_identity()
        if not (access.sees_all(identity) or access.schools_reviewed(identity)):
            abort(403, message="The overdue list is for reviewers and the office.")
        on = today()
        held = select(Hold.mobility_id).where(Hold.cleared_at.is_(None))
        statement = select(Mobility).where(or_(Mobility.status.in_(("returned", "departed")), Mobility.id.in_(held)))
        where = scope_filter(identity)
        if where is not None:
            statement = statement.where(where)
        items = []
        with ctx().sessions() as session:
            one_snapshot(session)  # what is due and the holds placed as of one moment
            for record in session.scalars(statement.order_by(Mobility.returned_on)):
                view = shown(session, record)
                late: dict[str, date] = {}  # what → overdue since
                # overdue now, or still on hold (handed in late, or returned and being corrected)
                for what, due_on in [(d["what"], d["due_on"]) for d in view["due"] if d["overdue"]] + [
                        (h["what"], h["due_on"]) for h in view["holds"] if h["scope"] == "person"]:
                    late[what] = min(late.get(what, date.max), date.fromisoformat(due_on))
                for what, due_on in late.items():
                    items.append({"mobility": view, "what": what, "due_on": due_on, "days_overdue": (on - due_on).days})
            items.sort(key=lambda item: item["due_on"])
            return {"items": items}
