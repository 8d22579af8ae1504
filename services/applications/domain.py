"""The application lifecycle, pure Python: which transitions are allowed and what each one changes.

draft → submitted → in_review → … (later issues add changes_requested, approved, rejected, withdrawn).
Every change bumps `version`, which travels as the events' `aggregateversion`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.applications.models import Application

SUBMITTABLE = ("draft", "changes_requested")


class TransitionError(Exception):
    """The application is not in a state that allows this step (HTTP 409)."""


def new_draft(
    *, kind: str, applicant: str, school: str, locale: str, title: str, data: dict[str, Any], now: datetime
) -> Application:
    return Application(
        id=str(uuid.uuid4()),
        kind=kind,
        applicant=applicant,
        school=school,
        locale=locale,
        title=title,
        status="draft",
        version=1,
        data=data,
        created_at=now,
        updated_at=now,
    )


def submit(application: Application, now: datetime) -> None:
    if application.status not in SUBMITTABLE:
        raise TransitionError(f"An application in status '{application.status}' cannot be submitted.")
    application.status = "submitted"
    application.version += 1
    application.submitted_at = now
    application.updated_at = now


def start_review(application: Application, seen_version: int, now: datetime) -> bool:
    """A review task opened for the version that was submitted. Stale news (older version) is ignored."""
    if application.status != "submitted" or seen_version != application.version:
        return False
    application.status = "in_review"
    application.version += 1
    application.updated_at = now
    return True
