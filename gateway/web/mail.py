"""The admins' "Mail sent" page: every mail Mobility sent (or holds, or gave up on), newest first, from the
notifications service's outgoing list. In `mobility run` the mail catcher keeps mail instead of sending it,
so this page is where a newcomer reads it; in the distributed topology it shows what went out by SMTP."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from gateway.web import services
from gateway.web.sessions import roles_required

bp = Blueprint("web_mail", __name__, url_prefix="/admin")
STATUSES = {"sent": _l("Sent"), "pending": _l("Waiting to be sent"), "failed": _l("Not delivered")}


@bp.get("/mail")
@roles_required("admin")
def sent() -> Any:
    cursor = request.args.get("cursor") or None
    reply = services.get("notifications/outgoing", channel="email", cursor=cursor)
    if reply.status == 422:  # a tampered cursor: start from the newest
        return redirect(url_for("web_mail.sent"))
    data = reply.data if reply.ok and isinstance(reply.data, dict) else {}
    return render_template("admin/mail.html", mails=data.get("items", []), statuses=STATUSES,
                           first_page=cursor is None, next_cursor=reply.next_cursor)
