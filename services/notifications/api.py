"""HTTP resources of the in-app inbox (behind the gateway at /api/v1/notifications): only one's own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select, update

from chassis.app import ctx
from chassis.auth import current_identity
from services.notifications.models import Notification
from services.notifications.schemas import InboxOut, NotificationOut, ReadAllOut

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="In-app inbox")


def _mine() -> tuple[Any, ...]:
    return (Notification.recipient == current_identity().username, Notification.channel == "inbox")


@blp.route("")
class Inbox(MethodView):
    @blp.response(200, InboxOut)
    def get(self) -> dict[str, Any]:
        """The caller's own in-app notifications, newest first, with the unread count."""
        with ctx().sessions() as session:
            items = list(session.scalars(
                select(Notification).where(*_mine()).order_by(Notification.created_at.desc()).limit(100)))
            unread = session.scalar(select(func.count()).where(*_mine(), Notification.read_at.is_(None)))
        return {"unread": unread, "items": items}


@blp.route("/<uuid:notification_id>/read")
class MarkRead(MethodView):
    @blp.response(200, NotificationOut)
    def post(self, notification_id: str) -> Notification:
        """Mark one of my notifications read (someone else's is "not found")."""
        with ctx().sessions() as session, session.begin():
            query = select(Notification).where(Notification.id == str(notification_id), *_mine())
            note = session.scalars(query).first()
            if note is None:
                abort(404, message="No such notification.")
            note.read_at = note.read_at or datetime.now(UTC)
        return note


@blp.route("/read-all")
class MarkAllRead(MethodView):
    @blp.response(200, ReadAllOut)
    def post(self) -> dict[str, int]:
        with ctx().sessions() as session, session.begin():
            result = session.execute(update(Notification).where(*_mine(), Notification.read_at.is_(None))
                                     .values(read_at=datetime.now(UTC)))
        return {"marked": result.rowcount or 0}
