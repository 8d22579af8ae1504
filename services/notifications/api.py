"""HTTP resources of the in-app inbox (behind the gateway at /api/v1/notifications): only one's own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import Select, and_, func, or_, select, update

from chassis import cursors
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.notifications import templates
from services.notifications.channels import inbox
from services.notifications.models import Notification
from services.notifications.schemas import LOCALES, InboxOut, InboxQuery, NotificationOut, ReadAllOut

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="In-app inbox")


def _mine() -> tuple[Any, ...]:
    return (Notification.recipient == current_identity().username, Notification.channel == inbox.CHANNEL.name)


def told(note: Notification, locale: str | None) -> Any:
    """A notification as its reader reads it now: its text rendered from the event's facts in `locale` (the
    stored text when it has no facts, from before they were kept, or no language is asked for)."""
    if locale is None or not note.facts or note.event_type not in templates.TEXTS:
        return note
    settings = ctx().settings
    text = templates.render(note.event_type, locale, note.facts, settings.public_base_url, settings.timezone)
    fields = {c.key: getattr(note, c.key) for c in Notification.__table__.columns}
    return {**fields, "subject": text.subject, "body": text.body, "link": text.link}


def asked_locale(args: dict[str, Any]) -> str | None:
    return args.get("locale") or request.accept_languages.best_match(LOCALES)


def newest_first(session: Any, query: Select[tuple[Notification]], cursor: str | None, limit: int) -> list[Any]:
    """Up to limit + 1 rows of `query`, newest first, after `cursor` (one we did not give out: 422); the extra
    row tells that a next page exists."""
    if cursor:
        at, last_id = cursors.decode(cursor)
        query = query.where(or_(Notification.created_at < at,
                                and_(Notification.created_at == at, Notification.id < last_id)))
    return list(session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit + 1)))


@blp.route("")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, InboxOut, headers={"Link": {
        "description": 'rel="next": the next page, when there is one', "schema": {"type": "string"}}})
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's own in-app notifications, newest first, `limit` at a time (default 100), with the
        unread count; a `Link` header names the next (older) page. `unread=true`: only the unread ones. Each is
        told in the language asked for (`locale`, else Accept-Language) from the facts of its event, so an inbox
        reads in one language after its reader switches."""
        query = select(Notification).where(*_mine())
        if args["unread"]:
            query = query.where(Notification.read_at.is_(None))
        limit = args["limit"]
        with ctx().sessions() as session:
            items = newest_first(session, query, args.get("cursor"), limit)
            unread = session.scalar(select(func.count()).where(*_mine(), Notification.read_at.is_(None)))
        locale = asked_locale(args)
        page = {"unread": unread, "items": [told(note, locale) for note in items[:limit]]}
        if len(items) <= limit:
            return page
        last = items[limit - 1]
        # From the validated arguments only: whatever else the query held is not echoed into the header.
        following = {"limit": limit, **({"unread": "true"} if args["unread"] else {}),
                     **({"locale": args["locale"]} if args.get("locale") else {}),
                     "cursor": cursors.encode(last.created_at, last.id)}
        return page, {"Link": f'<{request.path}?{urlencode(following)}>; rel="next"'}


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
