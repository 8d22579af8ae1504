"""Where a submitted application is, for its applicant: the review's levels from the reviews service
(GET /api/v1/review-cases/{id}/progress), and the timeline's actors named as people and roles, not services."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from gateway.web import services

# the services that move an application on their own: the timeline names what happened, not who ran it
SYSTEM_ACTORS = {"reviews": _l("Review process"), "applications": _l("Mobility")}
UNDER_REVIEW = ("submitted", "in_review", "changes_requested", "approved", "rejected")


def progress(application: dict[str, Any]) -> dict[str, Any] | None:
    """The review's levels (role, scope, done/current/pending), the current one's due date, what comes next and
    the last return comment; None before submission or when the reviews service has not heard of it yet."""
    if application["status"] not in UNDER_REVIEW:
        return None
    reply = services.get(f"review-cases/{application['id']}/progress")
    if not reply.ok:
        return None
    data: dict[str, Any] = reply.data
    levels = data["levels"]
    current = next((lv for lv in levels if lv["status"] == "current"), None)
    data["current"] = current
    data["next"] = next((lv for lv in levels if lv["status"] == "pending" and current
                         and lv["level"] > current["level"]), None)
    return data


def actor_name(actor: str | None) -> str:
    """A history entry's actor in words: a service as what it did, a person by their name."""
    if actor in SYSTEM_ACTORS:
        return str(SYSTEM_ACTORS[actor])
    return actor or ""

