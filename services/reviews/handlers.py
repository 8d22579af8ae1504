"""What the reviews service does when an event arrives: one function per event type.

Each is idempotent beyond the inbox too: news the case has already seen changes nothing. Whether a
submission is news comes from the case's status and the application's revision (the events'
aggregateversion, moved by every change), never from its version: that moves only when the applicant edits,
and a resubmission after a return may come without edits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.reviews import domain, progression, publicity
from services.reviews.chains import active_chain, chain_version
from services.reviews.models import ReviewCase, ReviewTask

OFFICE_ZONE = publicity.OFFICE_ZONE  # where a publicity period's days begin; table() takes the configured one


def _open(session: Session, case: ReviewCase, level: int, event: CloudEvent, now: datetime, zone: str) -> None:
    progression.open_level(session, case, level, now, event.get_extension("correlationid"), zone)


def _revision(event: CloudEvent) -> int | None:
    revision = event.get_extension("aggregateversion")
    return None if revision is None else int(revision)


def on_application_submitted(session: Session, data: dict[str, Any], event: CloudEvent,
                             zone: str = OFFICE_ZONE) -> None:
    now = datetime.now(UTC)
    case = session.get(ReviewCase, data["application_id"], with_for_update=True)
    if case is not None:
        if domain.is_news(case, data["version"], _revision(event)):
            on_application_resubmitted(session, data, event, zone)
        return  # the same submission again (its case and first task exist), or a withdrawn one
    chain = active_chain(session, data["kind"])
    case = ReviewCase(
        application_id=data["application_id"], kind=data["kind"], program_id=data.get("program_id"),
        school=data["school"], applicant=data["applicant"], applicant_name=data.get("applicant_name", "")[:120],
        title=data.get("title", "")[:200], chain_kind=chain.kind, chain_version=chain.version,
        levels=domain.applicable_levels(chain.levels, data), application_version=data["version"],
        revision=_revision(event), round=1, status="open", updated_at=now, notice=data.get("notice"),
    )
    session.add(case)
    _open(session, case, 1, event, now, zone)


def on_application_resubmitted(session: Session, data: dict[str, Any], event: CloudEvent,
                               zone: str = OFFICE_ZONE) -> None:
    now = datetime.now(UTC)
    case = session.get(ReviewCase, data["application_id"], with_for_update=True)
    if case is None:
        on_application_submitted(session, data, event, zone)
        return
    if not domain.is_news(case, data["version"], _revision(event)):
        return  # stale or repeated news
    domain.seen(case, _revision(event))
    case.title = data.get("title", case.title)[:200]
    case.applicant_name = data.get("applicant_name", case.applicant_name)[:120]
    case.notice = data.get("notice")
    # The edit may have changed what the conditions look at (a longer trip, a bigger budget).
    chain = chain_version(session, case.chain_kind, case.chain_version)
    case.levels = domain.applicable_levels(chain.levels, data)
    level = min(domain.restart(case, data["version"], now), len(case.levels))
    _open(session, case, level, event, now, zone)


def on_application_withdrawn(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    now = datetime.now(UTC)
    case = session.get(ReviewCase, data["application_id"], with_for_update=True)
    if case is None:
        # The withdrawal overtook its submission (that one is being retried): leave a tombstone, so the
        # late submission finds a case and opens no task.
        session.add(ReviewCase(
            application_id=data["application_id"], kind=data["kind"], program_id=data.get("program_id"),
            school=data["school"], applicant=data["applicant"], title=data.get("title", "")[:200],
            chain_kind=data["kind"], chain_version=0, levels=[], application_version=data["version"],
            revision=_revision(event), round=0, status="withdrawn", updated_at=now))
        return
    case.status, case.updated_at = "withdrawn", now
    domain.seen(case, _revision(event))
    open_tasks = select(ReviewTask).where(ReviewTask.application_id == case.application_id,
                                          ReviewTask.status.in_(("open", "claimed", "waiting")))
    for task in session.scalars(open_tasks):
        task.status = "cancelled"
    publicity.withdrawn(session, case.application_id, now)


def on_application_cancelled(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """An approved trip was cancelled: a change of it under review has nothing left to change. The case keeps
    the outcome of its last round; only a change round still open stops (withdrawn, like its tasks)."""
    case = session.get(ReviewCase, data["application_id"], with_for_update=True)
    if case is not None and case.status == "open":
        on_application_withdrawn(session, data, event)
    elif case is not None:
        domain.seen(case, _revision(event))  # a change request redelivered after it is stale news


def on_application_change_requested(session: Session, data: dict[str, Any], event: CloudEvent,
                                    zone: str = OFFICE_ZONE) -> None:
    """A change of an approved application: the case's next round, under its chain's version, from the first
    applicable level marked `changes` (level 1 when none is), binding its tasks to the version the change makes."""
    now = datetime.now(UTC)
    case = session.get(ReviewCase, data["application_id"], with_for_update=True)
    # Applications asks only for an approved application; the case may have ended its last change round otherwise
    # (a change turned down). Each change names a new version: one not above the case's is known already.
    if case is None or case.status in ("open", "withdrawn") or data["version"] <= case.application_version:
        return
    revision = _revision(event)
    if revision is not None and case.revision is not None and revision <= case.revision:
        return  # older than news already applied (the trip's cancellation, redelivered out of order)
    domain.seen(case, _revision(event))
    case.title = data.get("title", case.title)[:200]
    case.notice = data.get("notice")
    chain = chain_version(session, case.chain_kind, case.chain_version)
    case.levels = domain.applicable_levels(chain.levels, data)  # the changed trip's facts decide the levels
    start = next((number for number, level in enumerate(case.levels, 1) if level.get("changes")), 1)
    case.round += 1
    case.application_version, case.status, case.return_level, case.updated_at = data["version"], "open", None, now
    _open(session, case, start, event, now, zone)


HANDLERS = {
    "application.submitted": on_application_submitted,
    "application.resubmitted": on_application_resubmitted,
    "application.withdrawn": on_application_withdrawn,
    "application.cancelled": on_application_cancelled,
    "application.change_requested": on_application_change_requested,
}


def table(zone: str) -> dict[str, Any]:
    """The handlers with the office's time zone (a publicity level opened by a submission dates its period)."""
    return {**HANDLERS, **{name: partial(HANDLERS[name], zone=zone)
                           for name in ("application.submitted", "application.resubmitted",
                                        "application.change_requested")}}
