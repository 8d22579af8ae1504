"""HTTP resources of the notifications service (behind the gateway at /api/v1/notifications)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from chassis.app import ctx
from chassis.auth import current_identity
from services.notifications.models import Notification
from services.notifications.schemas import InboxOut

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="In-app inbox")


@blp.route("")
class Inbox(MethodView):
    @blp.response(200, InboxOut)
    def get(self) -> dict[str, Any]:
        """The caller's own in-app notifications, newest first, with the unread count."""
        mine = (Notification.recipient == current_identity().username, Notification.channel == "inbox")
        with ctx().sessions() as session:
            items = list(
                session.scalars(select(Notification).where(*mine).order_by(Notification.created_at.desc()).limit(100))
            )
            unread = session.scalar(select(func.count()).where(*mine, Notification.read_at.is_(None)))
        return {"unread": unread, "items": items}
