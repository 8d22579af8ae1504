"""Everyone's notification inbox, a page at a time (plain links, no script), and the unread count shown as
a badge on every page.

Notices are told in the page's language (the service renders them from their event's facts), and a notice
about a task someone has decided shows as done. Opening a notice is a small POST form (so reading it is never
a side effect of a GET, and the CSRF token guards it): it marks the notice read and then goes where the reader
acts: a reviewer to the task, an applicant to the application.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.web import services
from gateway.web.security import csrf
from gateway.web.sessions import login_required, safe_next
from gateway.web.widgets import page_language

bp = Blueprint("web_inbox", __name__)
bp.before_request(csrf.protect)


def unread_count() -> int | None:
    """For the badge; None (no badge) rather than an error page when notifications are down."""
    if g.get("user") is None:
        return None
    try:
        reply = services.get("notifications", limit=1)  # the total comes with any page: the smallest will do
    except services.ServiceDown:
        return None
    return int(reply.data.get("unread", 0)) if reply.ok and isinstance(reply.data, dict) else None


@bp.get("/inbox")
@login_required
def inbox() -> Any:
    # `only_unread`, not `unread`: that name is the header's badge count on every page
    only_unread = request.args.get("unread") == "true"
    reply = services.get("notifications", unread="true" if only_unread else None,
                         cursor=request.args.get("cursor") or None, locale=page_language())
    if reply.status == 422:  # a tampered cursor: start from the first page
        return redirect(url_for("web_inbox.inbox", unread="true" if only_unread else None))
    data = reply.data if reply.ok and isinstance(reply.data, dict) else {}
    return render_template("inbox.html", notifications=data.get("items", []), only_unread=only_unread,
                           unread_total=data.get("unread", 0), first_page=not request.args.get("cursor"),
                           next_cursor=reply.next_cursor)


@bp.post("/inbox/<uuid:notification_id>/read")
@login_required
def read(notification_id: Any) -> Response:
    services.request("POST", f"notifications/{notification_id}/read")
    return redirect(url_for("web_inbox.inbox"))


@bp.post("/inbox/<uuid:notification_id>/open")
@login_required
def open_notice(notification_id: Any) -> Response:
    """Mark it read, then go to its link's page (a path on this site only; the inbox when it has none)."""
    reply = services.request("POST", f"notifications/{notification_id}/read")
    if reply.status == 404:
        abort(404)
    link = reply.data.get("link") if reply.ok and isinstance(reply.data, dict) else None
    if not link:
        return redirect(url_for("web_inbox.inbox"))
    parts = urlsplit(link)
    return redirect(safe_next(parts.path + (f"?{parts.query}" if parts.query else "")))


@bp.post("/inbox/read-all")
@login_required
def read_all() -> Response:
    services.request("POST", "notifications/read-all")
    flash(_("All marked as read."), "success")
    return redirect(url_for("web_inbox.inbox"))
