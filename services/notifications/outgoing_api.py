"""What Mobility sent out (/api/v1/notifications/outgoing): mail and WeCom rows, newest first, for admins only.

The admins' "Mail sent" page reads it: in `mobility run` the mail catcher marks mail sent without a server,
so this is where a newcomer sees every mail; in the distributed topology it shows what went by SMTP, what
waits and what failed. Everyone else gets 403: the rows hold other people's addresses and messages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from chassis import cursors
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.notifications.api import newest_first
from services.notifications.channels import inbox, registry
from services.notifications.models import Notification

blp = Blueprint("notifications_outgoing", __name__, url_prefix="/api/v1/notifications",
                description="Outgoing messages (admins)")


def _outgoing_channels() -> list[str]:
    """Channels whose rows leave Mobility (the inbox's stay inside it and are read in the inbox)."""
    return [channel.name for channel in registry() if channel.name != inbox.CHANNEL.name]


class OutgoingQuery(Schema):
    channel = fields.String(load_default="email", validate=validate.OneOf(_outgoing_channels()))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(metadata={"description": "from the previous page's Link: rel=\"next\" header"})


class OutgoingOut(Schema):
    id = fields.String(dump_only=True)
    event_type = fields.String(dump_only=True)
    recipient = fields.String(dump_only=True, metadata={"description": "the username"})
    address = fields.String(dump_only=True, allow_none=True, metadata={"description": "where it went"})
    subject = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    link = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True, metadata={"description": "pending | sent | failed"})
    attempts = fields.Integer(dump_only=True)
    last_error = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    sent_at = fields.DateTime(dump_only=True, allow_none=True)


class OutgoingPage(Schema):
    items = fields.List(fields.Nested(OutgoingOut), dump_only=True)


@blp.route("/outgoing")
class Outgoing(MethodView):
    @blp.arguments(OutgoingQuery, location="query")
    @blp.response(200, OutgoingPage, headers={"Link": {
        "description": 'rel="next": the next (older) page, when there is one', "schema": {"type": "string"}}})
    def get(self, args: dict[str, Any]) -> Any:
        """Messages of one outgoing channel (default `email`), newest first, `limit` at a time; admins only."""
        if not current_identity().has_role("admin"):
            abort(403, message="Only admins read the messages Mobility sent to people.")
        query = select(Notification).where(Notification.channel == args["channel"])
        limit = args["limit"]
        with ctx().sessions() as session:
            items = newest_first(session, query, args.get("cursor"), limit)
        page = {"items": items[:limit]}
        if len(items) <= limit:
            return page
        last = items[limit - 1]
        following = {"channel": args["channel"], "limit": limit, "cursor": cursors.encode(last.created_at, last.id)}
        return page, {"Link": f'<{request.path}?{urlencode(following)}>; rel="next"'}
