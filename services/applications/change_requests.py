"""Changes after approval: an approved application's dates, itinerary or members change through a change request,
re-approved by its chain from the level the chain names (reviews' `changes` mark on a level; level 1 when none).

The request holds the form as it would become, judged by the same rules as a submission. Its event,
application.change_requested, carries the application as it would be (version + 1, its facts, notice and
assessment), so the chain's conditions and a publicity level see the changed trip. The reviews' verdict comes back as
review.completed naming that version: approved, the form becomes the application's next version and its 任务批件's
next revision (same number; the former revision superseded), announced as application.changed; anything else leaves
the approved form standing, announced as application.change_rejected. One request at a time.

A traveller's extension beyond the approved end (mobilities' mobility.extension_requested, extensions.py) is such
a change too, of any approved kind; its events name it as `change.extension_id`. One that cannot even be asked for
is refused at once (`refused`): a rejected change, announced as application.change_rejected with the reason.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventbus import envelope, outbox
from services.applications import approvals, domain, trip_rules
from services.applications.events import SOURCE, application_data, review_facts, travellers
from services.applications.facts import mobility_facts
from services.applications.models import Application, ChangeRequest

PENDING = "pending"
SOURCE_NAME = "applications"  # who decided a change refused before any review: this service


def pending(session: Session, application_id: str) -> ChangeRequest | None:
    return session.scalars(select(ChangeRequest).where(ChangeRequest.application_id == application_id,
                                                       ChangeRequest.status == PENDING)).first()


def request(session: Session, application: Application, form: dict[str, Any], reason: str, *, actor: str,
            now: datetime, reference: Any, correlationid: str | None,
            extension_id: str | None = None) -> ChangeRequest:
    """Record the change (validated as a whole form) and ask the chain to re-approve it. A change that carries out
    a traveller's extension (`extension_id`, from mobilities) may change any approved kind, with or without a
    任务批件; the applicant's own changes are for kinds approved with one."""
    kind = domain.kind_of(application.kind)
    if extension_id and application.status != "approved":
        raise domain.TransitionError(f"Only an approved application can be extended; this one is "
                                     f"'{application.status}'.")
    if application.status != "approved" or not (kind.approval_document or extension_id):
        raise domain.TransitionError(f"Only an approved application with an approval document can be changed; this "
                                     f"one is '{application.status}'.")
    if kind.approval_document and approvals.current(session, application.id) is None:  # approved before 任务批件
        raise domain.TransitionError("This trip was approved without an approval document (任务批件), so it cannot "
                                     "be changed here: ask the office, or cancel it and file the trip again.")
    if pending(session, application.id) is not None:
        raise domain.TransitionError("A change of this application is already waiting for approval.")
    reference = trip_rules.excluding(session, reference, application.id)  # the trip is in its plan already
    today = _judged_on(application, form, now) if extension_id else now.date()
    stored = domain.validate_form(kind, form, application.program, today, complete=True, reference=reference)
    change = _recorded(session, application, stored, reason, actor=actor, now=now, extension_id=extension_id)
    data = application_data(application, application.program)
    data.update(version=change.version, title=domain.title_of(application.kind, stored, application.program),
                mobility=mobility_facts(application.kind, stored, application.program),
                travellers=travellers(application.kind, stored, application.applicant_name or application.applicant),
                category=stored.get("category"), change=_described(change, requested_at=now))
    data.update(review_facts(_as(application, stored), data["mobility"]))
    data.update(domain.announced(kind, stored, reference))
    outbox.add(session, envelope.new_event("application.change_requested", SOURCE, application.id, data,
                                           correlationid=correlationid, aggregateversion=application.revision))
    return change


def refused(session: Session, application: Application, form: dict[str, Any], reason: str, comment: str, *,
            actor: str, now: datetime, extension_id: str, correlationid: str | None) -> ChangeRequest:
    """A traveller's extension that cannot even be asked for (its form breaks the rules, another change is
    waiting, the trip is not approved): kept as a rejected change, announced at once as application.change_rejected
    with the reason as its comment, so that mobilities marks the extension refused."""
    change = _recorded(session, application, form, reason, actor=actor, now=now, extension_id=extension_id)
    change.status, change.decided_by, change.decided_at, change.comment = "rejected", SOURCE_NAME, now, comment
    extra = {"change": _described(change, requested_at=now), "decided_at": now.isoformat(),
             "decided_by": SOURCE_NAME, "comment": comment}
    outbox.add(session, envelope.new_event("application.change_rejected", SOURCE, application.id,
                                           {**application_data(application, application.program), **extra},
                                           correlationid=correlationid, aggregateversion=application.revision))
    return change


def _recorded(session: Session, application: Application, form: dict[str, Any], reason: str, *, actor: str,
              now: datetime, extension_id: str | None) -> ChangeRequest:
    """A new change of the application, numbered and versioned after the others, pending."""
    number, last_version = session.execute(
        select(func.coalesce(func.max(ChangeRequest.number), 0), func.max(ChangeRequest.version))
        .where(ChangeRequest.application_id == application.id)).one()
    # Each change names a version of its own, never one an earlier (rejected) change named: the chain's verdict on
    # one change can then never be taken for another's. Approved, the application's version jumps to it.
    change = ChangeRequest(id=str(uuid.uuid4()), application_id=application.id, number=number + 1,
                           version=max(application.version, last_version or 0) + 1, form=form, reason=reason,
                           status=PENDING, requested_by=actor, requested_at=now, extension_id=extension_id)
    session.add(change)
    application.revision += 1  # news of this application: its events stay in order
    application.updated_at = now
    return change


def _described(change: ChangeRequest, **more: Any) -> dict[str, Any]:
    """The change as its events describe it; `extension_id` names the traveller's extension it carries out."""
    described = {"id": change.id, "number": change.number, "reason": change.reason,
                 "extension_id": change.extension_id}
    described.update({k: v.isoformat() if isinstance(v, datetime) else v for k, v in more.items()})
    return described


def _judged_on(application: Application, form: dict[str, Any], now: datetime) -> date:
    """The day an extension's form is judged as of. It keeps the approved start, and often comes while the traveller
    is away: the rules about the start (it lies ahead, the lead time) were met when the trip was submitted and the
    start has not moved, so the form is judged as of that day, and a stay under way can be extended."""
    approved_start = (application.form or {}).get("start_date")
    if application.submitted_at is not None and approved_start and form.get("start_date") == approved_start:
        return min(now.date(), application.submitted_at.date())
    return now.date()


def _as(application: Application, form: dict[str, Any]) -> Application:
    """The application as the change would make it, for the facts (never added to the session)."""
    return Application(id=application.id, kind=application.kind, form=form)


def on_completed(session: Session, application: Application, data: dict[str, Any], now: datetime,
                 correlationid: str | None) -> bool:
    """The chain's verdict on a pending change (review.completed naming the change's version). False: the news
    is not about a change, and the review's usual path takes it."""
    change = pending(session, application.id)
    if change is None or data["application_version"] != change.version:
        return False
    if application.status != "approved":  # cancelled meanwhile (cancel() closes its change): nothing to change
        return True
    change.decided_by, change.decided_at, change.comment = data["decided_by"], now, data.get("comment")
    application.revision += 1
    application.updated_at = now
    if data["outcome"] == "approved":
        change.status = "approved"
        application.form, application.version = change.form, change.version
        application.title = domain.title_of(application.kind, change.form, application.program)
        if approvals.current(session, application.id) is not None:  # an extension of a kind without one: none
            approvals.supersede(session, application, now, decided={
                "level": data.get("level"), "decided_by": data["decided_by"], "decided_at": data["decided_at"]})
        event_type = "application.changed"
    else:
        change.status = "rejected"
        event_type = "application.change_rejected"
    extra = {"change": _described(change),
             "decided_at": data["decided_at"], "decided_by": data["decided_by"], "comment": data.get("comment")}
    outbox.add(session, envelope.new_event(event_type, SOURCE, application.id,
                                           {**application_data(application, application.program), **extra},
                                           correlationid=correlationid, aggregateversion=application.revision))
    return True


def close_on_cancel(session: Session, application: Application, now: datetime) -> None:
    """The trip was cancelled: a change waiting for approval has nothing left to change."""
    change = pending(session, application.id)
    if change is not None:
        change.status, change.decided_at = "cancelled", now  # its status says why, in the reader's words

