"""The office's settings for what follows approval (behind the gateway at /api/v1/mobilities): report rules per
kind and staff-trip category, and the school-hold switches (off by default). Everyone signed in reads the rules;
the ICD and admins change them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from services.mobilities import access, holds, rules
from services.mobilities.models import SchoolHold
from services.mobilities.schemas import RulesIn, RulesOut, SchoolHoldIn, SchoolHoldOut

blp = Blueprint("mobility_settings", __name__, url_prefix="/api/v1/mobilities",
                description="Report rules and school holds")


def _office() -> None:
    if not access.is_office(current_identity()):
        abort(403, message="Only the office (ICD) changes these settings.")


@blp.route("/report-rules")
class ReportRules(MethodView):
    @blp.response(200, RulesOut)
    def get(self) -> dict[str, Any]:
        with ctx().sessions() as session:
            return {"rules": rules.all_rules(session)}

    @blp.arguments(RulesIn)
    @blp.response(200, RulesOut)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set the given rules (others stay); a report already due keeps its due date."""
        _office()
        with ctx().sessions() as session, session.begin():
            for rule in body["rules"]:
                rules.set_rule(session, rules.Rule(**rule), current_identity().username, datetime.now(UTC))
            session.flush()
            return {"rules": rules.all_rules(session)}


@blp.route("/school-holds/<school>")
class SchoolHolds(MethodView):
    @blp.response(200, SchoolHoldOut)
    def get(self, school: str) -> dict[str, Any]:
        with ctx().sessions() as session:
            return {"school": school, "on": rules.school_holds_on(session, school)}

    @blp.arguments(SchoolHoldIn)
    @blp.response(200, SchoolHoldOut)
    def put(self, body: dict[str, Any], school: str) -> dict[str, Any]:
        """Switch school holds on (the next sweep holds the school for each overdue item) or off (its school
        holds clear now)."""
        _office()
        if not 1 <= len(school) <= 40:
            abort(422, message="Invalid school.", errors={"school": ["1 to 40 characters."]})
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            row = session.get(SchoolHold, school, with_for_update=True)
            if row is None:
                row = SchoolHold(school=school, on=False, updated_by="", updated_at=now)
                session.add(row)
            row.on, row.updated_by, row.updated_at = body["on"], current_identity().username, now
            if not body["on"]:
                session.flush()
                holds.release_switched_off(session, now, correlation_id())
            return {"school": school, "on": row.on}
