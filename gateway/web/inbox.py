"""Everyone's notification inbox, and the unread count shown as a badge on every page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from gateway.web import services
from gateway.web.security import csrf
from gateway.web.sessions import login_required

bp = Blueprint("web_inbox", __name__)
bp.before_request(csrf.protect)


def unread_count() -> int | None:
    """For the badge; None (no badge) rather than an error page when notifications are down."""
    if g.get("user") is None:
        return None
    try:
        reply = services.get("notifications")
    except services.ServiceDown:
        return None
    return int(reply.data.get("unread", 0)) if reply.ok and isinstance(reply.data, dict) else None


@bp.get("/inbox")
@login_required
def inbox() -> str:
    data = services.get("notifications").data or {}
    return render_template("inbox.html", notifications=data.get("items", []))


@bp.post("/inbox/<uuid:notification_id>/read")
@login_required
def read(notification_id: Any) -> Response:
    services.request("POST", f"notifications/{notification_id}/read")
    return redirect(url_for("web_inbox.inbox"))


@bp.post("/inbox/read-all")
@login_required
def read_all() -> Response:
    services.request("POST", "notifications/read-all")
    flash(_("All marked as read."), "success")
    return redirect(url_for("web_inbox.inbox"))
