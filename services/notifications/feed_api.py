"""The event feed (/api/v1/events): every public event once, in order, for systems that catch up or replay.

Cursors are opaque and stable: the position after the last event of a page. An unknown cursor is a 422
naming the `after` field.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.notifications.models import FeedEntry
from services.notifications.schemas import FeedPage, FeedQuery

blp = Blueprint("events", __name__, url_prefix="/api/v1/events", description="Event feed")
READERS = frozenset({"admin", "icd_officer", "client_system"})


def _cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"feed:{entry_id}".encode()).decode().rstrip("=")


def _position(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if kind != "feed" or not value.isdigit():
            raise ValueError(cursor)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        _unknown_cursor()
        raise


def _unknown_cursor() -> None:
    abort(422, message="Unknown cursor: pass the next_cursor of a page this feed returned.",
          errors={"after": ["Not a cursor this feed gave out."]})


@blp.route("")
class Feed(MethodView):
    @blp.arguments(FeedQuery, location="query")
    @blp.response(200, FeedPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        if not any(r.get("role") in READERS for r in current_identity().roles):
            abort(403, message="The event feed is for the ICD, admins and registered systems.")
        query = select(FeedEntry).order_by(FeedEntry.id).limit(args["limit"])
        with ctx().sessions() as session:
            if args.get("after"):
                position = _position(args["after"])
                if session.get(FeedEntry, position) is None:
                    _unknown_cursor()
                query = query.where(FeedEntry.id > position)
            pattern = args.get("type")
            if pattern and pattern != "*":
                if pattern.endswith(".*"):
                    query = query.where(FeedEntry.event_type.startswith(pattern[:-1], autoescape=True))
                else:
                    query = query.where(FeedEntry.event_type == pattern)
            entries = list(session.scalars(query))
        return {
            "items": [json.loads(e.event) for e in entries],
            "next_cursor": _cursor(entries[-1].id) if entries else args.get("after"),
        }
