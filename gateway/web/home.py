"""The start page after signing in: what needs me now. Reviewers see their overdue tasks and those due in the
next days; applicants, the applications returned to them for changes; everyone, their unread notices; each
with a link to where they act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, g, render_template

from gateway.web import services
from gateway.web.sessions import REVIEWER_ROLES, has_any_role, login_required
from gateway.web.widgets import page_language

bp = Blueprint("web_home", __name__)

DUE_SOON = timedelta(days=3)
SHOWN = 10  # of each list; the queue, my applications and the inbox have the rest


def _items(reply: services.Reply, key: str | None = None) -> list[dict[str, Any]]:
    """A list from a service, or nothing when it refused or is down: the start page never fails on a part."""
    if not reply.ok:
        return []
    data = reply.data.get(key, []) if key and isinstance(reply.data, dict) else reply.data
    return data if isinstance(data, list) else []


def _due_before(task: dict[str, Any], limit: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(task["due_at"]).replace("Z", "+00:00")) <= limit
    except (KeyError, ValueError):
        return False


def _tasks() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(overdue, due within DUE_SOON): the queue is soonest due first, so a page of each is the most urgent."""
    overdue = _items(services.get("review-tasks", overdue="true", limit=SHOWN))
    upcoming = _items(services.get("review-tasks", overdue="false", limit=SHOWN))
    soon = datetime.now(UTC) + DUE_SOON
    return overdue, [t for t in upcoming if _due_before(t, soon)]


@bp.get("/home")
@login_required
def start() -> str:
    reviewer = has_any_role(g.user, *REVIEWER_ROLES)
    overdue, due_soon = _tasks() if reviewer else ([], [])
    mine = _items(services.get("applications", view="mine", limit=100), "items")
    returned = [a for a in mine if a.get("status") == "changes_requested"][:SHOWN]
    notices = _items(services.get("notifications", unread="true", limit=SHOWN, locale=page_language()), "items")
    return render_template("home.html", reviewer=reviewer, overdue=overdue, due_soon=due_soon,
                           returned=returned, notices=notices, has_applications=bool(mine))
