"""GET/PUT /api/v1/passport-settings: the office's custody rules (hand-out window, return days, reminder, school
hold threshold and switch). The clerk, admins and the ICD read them; the clerk and admins change them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.passports import access, custody
from services.passports.models import PassportSettings
from services.passports.schemas import SettingsIn, SettingsOut

blp = Blueprint("settings_api", __name__, url_prefix="/api/v1", description="The office's custody rules")


def _shown(row: PassportSettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SettingsOut().fields}


@blp.route("/passport-settings")
class PassportSettingsResource(MethodView):
    @blp.response(200, SettingsOut)
    def get(self) -> dict[str, Any]:
        if not access.can_read_rules(current_identity()):
            abort(403, message="Only the passport clerk, the ICD and admins read the custody rules.")
        with ctx().sessions() as session, session.begin():
            return _shown(custody.rules(session))

    @blp.arguments(SettingsIn)
    @blp.response(200, SettingsOut)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Replace the rules (the clerk, admins). Loans already out keep their due dates until their trip's
        news moves them; the next sweep applies the reminder and hold rules."""
        identity = current_identity()
        if not access.can_set_rules(identity):
            abort(403, message="Only the passport clerk and admins change the custody rules.")
        with ctx().sessions() as session, session.begin():
            row = custody.rules(session, lock=True)
            for name, value in body.items():
                setattr(row, name, value)
            row.updated_by, row.updated_at = identity.username, datetime.now(UTC)
            session.flush()
            return _shown(row)
