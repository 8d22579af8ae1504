"""What was submitted each time: the snapshot the Submit view adds in the submit's own transaction, so a
reviewer of a later round can be shown what changed (the form's fields, the documents added or removed)."""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.applications.models import Application, Document, Submission


def snapshot(session: Session, application: Application, now: datetime) -> Submission:
    """The application as it is submitted now: its form and its documents' types and names, oldest first."""
    rows = session.execute(select(Document.doc_type, Document.filename)
                           .where(Document.application_id == application.id).order_by(Document.created_at))
    return Submission(application_id=application.id, version=application.version, submitted_at=now,
                      form=copy.deepcopy(application.form or {}),
                      documents=[{"doc_type": doc_type, "filename": filename} for doc_type, filename in rows])
