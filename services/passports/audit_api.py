"""GET /api/v1/passport-audit: the append-only audit log for the clerk and admins, newest first, as JSON or as a
CSV download (?format=csv); a download is itself written to the log (`exported`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from services.passports import access, audit
from services.passports.models import AuditEntry
from services.passports.schemas import AuditList, AuditQuery

blp = Blueprint("audit_api", __name__, url_prefix="/api/v1", description="Who did what to the register")
COLUMNS = ("id", "at", "actor", "action", "passport_id", "detail")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv(entries: list[AuditEntry]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow([_safe(v) for v in (str(e.id), e.at.isoformat(), e.actor, e.action, e.passport_id or "",
                                            json.dumps(e.detail or {}, ensure_ascii=False, sort_keys=True))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel reads it as UTF-8


@blp.route("/passport-audit")
class PassportAudit(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditList, description="the entries (JSON); ?format=csv: the log as a CSV download")
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, query: dict[str, Any]) -> Any:
        """The audit log, newest first (the clerk, admins); filters `passport_id` and `action`."""
        identity = current_identity()
        if not access.can_audit(identity):
            abort(403, message="Only the passport clerk and admins read the audit log.")
        statement = select(AuditEntry).order_by(AuditEntry.id.desc())
        for name in ("passport_id", "action"):
            if query.get(name):
                statement = statement.where(getattr(AuditEntry, name) == query[name])
        if query["format"] == "json":
            with ctx().sessions() as session:
                return {"items": list(session.scalars(statement.limit(query["limit"])))}
        now = datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            entries = list(session.scalars(statement))
            chosen = {name: query[name] for name in ("passport_id", "action") if query.get(name)}
            audit.record(session, identity.username, "exported", None, count=len(entries),
                         **({"filters": chosen} if chosen else {}))
        name = f"passport-audit-{now:%Y%m%d-%H%M%S}.csv"
        return Response(_csv(entries), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff"})
