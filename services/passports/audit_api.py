"""GET /api/v1/passport-audit: the append-only audit log for the clerk and admins, newest first, as JSON or as a
CSV download (?format=csv); a download is itself written to the log (`exported`).

The CSV is for people reading it in a spreadsheet: times in the office's time zone (named in the header), each
action as its code and in words, the actor's name beside their username, and the detail as a line of text rather
than JSON. Its words are English (a file, not a page: it has no reader's language)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.passports import access, audit
from services.passports.models import TYPES, AuditEntry
from services.passports.schemas import AuditList, AuditQuery

blp = Blueprint("audit_api", __name__, url_prefix="/api/v1", description="Who did what to the register")
ACTION_WORDS = {
    "created": "entered", "updated": "changed", "viewed_number": "viewed whole number", "handed_out": "handed out",
    "returned": "taken back", "imported": "imported from CSV", "exported": "audit log exported",
    "key_rotated": "re-encrypted with a new key",
}
DETAIL_WORDS = {
    "type": "type", "fields": "changed", "status": "status", "loan_id": "loan", "mobility_id": "trip", "on": "on",
    "due_on": "due back", "handed_to": "handed to", "received_from": "handed back by", "overdue_days": "days overdue",
    "filters": "filtered by", "key": "current key", "rotated": "re-encrypted", "unreadable": "unreadable",
    "under_current_key": "already under the current key",
}
COUNT_WORDS = {"imported": "passports", "exported": "entries"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _value(name: str, value: Any) -> str:
    if name == "type":
        return TYPES.get(value, (value,))[0]
    if isinstance(value, dict) and set(value) == {"from", "to"}:  # a status changed
        return f"{_value('status', value['from'])} → {_value('status', value['to'])}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(name, v) for v in value)
    if name in ("status", "fields") and isinstance(value, str):
        return value.replace("_", " ")
    return str(value)


def readable(action: str, detail: dict[str, Any] | None) -> str:
    """An entry's detail as a line of text: "handed to: Li Wei; on: 2027-03-06; due back: 2027-03-21; …"."""
    parts = []
    for name, value in (detail or {}).items():
        label = COUNT_WORDS.get(action, "count") if name == "count" else DETAIL_WORDS.get(name, name.replace("_", " "))
        parts.append(f"{label}: {_value(name, value)}")
    return "; ".join(parts)


def _csv(entries: list[AuditEntry], zone: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", f"time ({zone})", "actor", "actor name", "action", "action in words", "passport_id",
                     "detail"])
    tz = ZoneInfo(zone)
    for e in entries:
        writer.writerow([_safe(v) for v in (
            str(e.id), e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.actor_name or e.actor, e.action,
            ACTION_WORDS.get(e.action, e.action), e.passport_id or "", readable(e.action, e.detail))])
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
        return Response(_csv(entries, ctx().settings.timezone), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff"})
