"""The publicity period (公示) of a case, on the official working-day calendar: opening it when its level is
reached, pausing it for an objection, resuming or ending it on the ICD's decision, and ending it by itself.

Dates are days in the office's time zone. The period's arithmetic (its end, a pause's remaining days, a
resumption's new end, whether it passed) is chassis/publicity_period.py's, shared with placements' 差额公示: a
dismissal resumes it with the days left when it paused. A year the official calendar does not know is
never guessed: the period stays unopened ("blocked", with the reason), its task stays open in the role's queue,
and the deadline sweep opens it as soon as an administrator has entered the year.

The level type itself (outcomes, who decides) is levels/publicity.py; this module keeps its rows and events.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis import publicity_period as period
from chassis.settings import Settings
from chassis.workdays import Calendar, UnknownYear
from eventbus import envelope, outbox
from services.reviews import calendar
from services.reviews.errors import Conflict
from services.reviews.events import SOURCE
from services.reviews.levels.publicity import REVIEWER, WAITING, PublicityLevel, objection_due_at
from services.reviews.models import Objection, PublicityNotice, ReviewCase, ReviewTask

LEVEL = PublicityLevel()
OFFICE_ZONE = Settings.timezone  # the default office zone (the settings' MOBILITY_TIMEZONE is passed in)
RUNNING = ("open", "paused")  # the periods a staff member may read in the list


today, end_of = period.today, period.end_of  # kept under their old names for this module's callers


def official(session: Session) -> Calendar:
    return calendar.official(session)


# -- opening ---------------------------------------------------------------------------------------------------

def schedule(session: Session, case: ReviewCase, task: ReviewTask, now: datetime, zone: str) -> PublicityNotice:
    """The period of a publicity task just opened: dated and waiting, or blocked (the task open) when the
    calendar does not know the year."""
    spec = case.levels[task.level - 1]
    notice = PublicityNotice(application_id=case.application_id, round=case.round, task_id=task.id,
                             working_days=int(spec["working_days"]), status="blocked", content=case.notice,
                             updated_at=now)
    session.add(notice)
    start(session, notice, task, now, zone)
    return notice


def start(session: Session, notice: PublicityNotice, task: ReviewTask, now: datetime, zone: str) -> bool:
    """Date the period from today; False (blocked, with the reason, its task open) if the year is unknown."""
    opened_on = today(now, zone)
    try:
        ends_on = period.ends_on(official(session), opened_on, notice.working_days)
    except UnknownYear as exc:
        notice.status, notice.reason, notice.updated_at = "blocked", str(exc), now
        if task.status == WAITING:
            task.status = "open"
        return False
    notice.opened_on, notice.ends_on, notice.status, notice.reason, notice.updated_at = \
        opened_on, ends_on, "open", None, now
    task.status, task.claimed_by, task.claimed_at, task.escalated_at = WAITING, None, None, None
    task.due_at = end_of(ends_on, zone)
    return True


def announce(session: Session, case: ReviewCase, notice: PublicityNotice, correlationid: str | None) -> None:
    if notice.status == "open":
        notice_event(session, "publicity.opened", case, notice, correlationid)


def retry_blocked(session: Session, now: datetime, zone: str) -> int:
    """Open the blocked periods whose year the calendar now knows; returns how many opened."""
    opened = 0
    for notice_id, application_id in session.execute(
            select(PublicityNotice.id, PublicityNotice.application_id).where(PublicityNotice.status == "blocked")):
        case, notice = locked(session, application_id, notice_id)
        task = session.get(ReviewTask, notice.task_id, with_for_update=True) if notice else None
        if case is None or notice is None or task is None or notice.status != "blocked" or case.status != "open" \
                or task.status not in ("open", "claimed"):
            continue
        if start(session, notice, task, now, zone):
            announce(session, case, notice, None)
            opened += 1
    return opened


def locked(session: Session, application_id: str, notice_id: int | None = None,
           ) -> tuple[ReviewCase | None, PublicityNotice | None]:
    """The case and one of its periods (by id, else its latest), locked in that order: the order decisions and
    event handlers lock the case and then its rows, so none waits on the other in a circle."""
    case = session.get(ReviewCase, application_id, with_for_update=True)
    query = select(PublicityNotice).where(PublicityNotice.application_id == application_id)
    query = query.where(PublicityNotice.id == notice_id) if notice_id is not None else \
        query.order_by(PublicityNotice.round.desc()).limit(1)
    return case, session.scalars(query.with_for_update()).first()


# -- objections ------------------------------------------------------------------------------------------------

def lodge(session: Session, case: ReviewCase, notice: PublicityNotice, *, objector: str, objector_name: str, text: str,
          now: datetime, zone: str) -> Objection:
    """An objection on a running period (the case and the period locked: see locked()): the period pauses and
    the level's task opens in the role's queue."""
    day = today(now, zone)
    if notice.status != "open" or not period.runs_on(notice.ends_on, day):
        shown = "ended" if notice.status == "open" else notice.status
        raise Conflict(f"The publicity period is {shown}; objections are taken only while it runs.",
                       notice_status=shown)
    task = session.get(ReviewTask, notice.task_id, with_for_update=True)
    assert task is not None
    assert notice.ends_on is not None  # runs_on() holds only for a dated period
    notice.remaining = period.remaining(official(session), day, notice.ends_on)
    notice.status, notice.updated_at = "paused", now
    objection = Objection(id=str(uuid.uuid4()), notice_id=notice.id, application_id=notice.application_id,
                          objector=objector, objector_name=objector_name[:120], text=text, lodged_at=now,
                          status="open")
    session.add(objection)
    task.status, task.claimed_by, task.claimed_at = "open", None, None
    task.escalated_at, task.overdue_notified_on = None, None
    objection_due_at(task, case.levels[task.level - 1], now)
    case.updated_at = now
    notice_event(session, "publicity.objection_lodged", case, notice, None, objection_id=objection.id,
                 lodged_at=now.isoformat(), remaining_working_days=notice.remaining)
    return objection


def decided(session: Session, case: ReviewCase, task: ReviewTask, verb: str, *, reviewer: str,
            comment: str | None, now: datetime, zone: str, correlationid: str | None) -> None:
    """An officer's decision on the open objection (verb: return | reject when upheld, dismiss): recorded on the
    objection; an upheld one ends the period, a dismissed one resumes it."""
    notice = session.scalars(select(PublicityNotice).where(PublicityNotice.application_id == case.application_id,
                                                           PublicityNotice.round == case.round)
                             .with_for_update()).first()
    objection = None if notice is None else session.scalars(
        select(Objection).where(Objection.notice_id == notice.id, Objection.status == "open")
        .order_by(Objection.lodged_at).limit(1).with_for_update()).first()
    if notice is None or objection is None:
        reason = f" {notice.reason}" if notice is not None and notice.reason else ""
        raise Conflict("No objection is open on this publicity period; there is nothing to decide." + reason,
                       notice_status=None if notice is None else notice.status)
    upheld = verb != "dismiss"
    objection.status = "upheld" if upheld else "dismissed"
    objection.decided_by, objection.decided_at, objection.comment = reviewer, now, comment
    if upheld:
        notice.status, notice.remaining, notice.ended_at, notice.updated_at = "upheld", None, now, now
    else:
        resume(session, notice, task, now, zone)
    notice_event(session, "publicity.objection_decided", case, notice, correlationid, objection_id=objection.id,
                 outcome=objection.status, then=verb if upheld else None, decided_by=reviewer,
                 decided_at=now.isoformat(), comment=comment)
    if upheld:
        notice_event(session, "publicity.ended", case, notice, correlationid, outcome="upheld",
                     ended_at=now.isoformat())


def resume(session: Session, notice: PublicityNotice, task: ReviewTask, now: datetime, zone: str) -> None:
    """The working days left when it paused, counted again from the next working day."""
    try:
        ends_on = period.resumed_end(official(session), today(now, zone), notice.remaining or 0)
    except UnknownYear as exc:
        raise Conflict(f"The period cannot resume: {exc}") from None
    notice.ends_on, notice.status, notice.remaining, notice.updated_at = ends_on, "open", None, now
    task.due_at = end_of(ends_on, zone)


# -- ending ----------------------------------------------------------------------------------------------------

def due(session: Session, now: datetime, zone: str) -> list[tuple[int, str]]:
    """The running periods whose last day is over, as (notice id, application id); none is paused, as a
    paused period has an open objection."""
    return [(i, a) for i, a in session.execute(
        select(PublicityNotice.id, PublicityNotice.application_id)
        .where(PublicityNotice.status == "open", PublicityNotice.ends_on < today(now, zone))
        .order_by(PublicityNotice.ends_on, PublicityNotice.id))]


def end(session: Session, notice_id: int, application_id: str, now: datetime, zone: str,
        ) -> tuple[ReviewCase, ReviewTask, Any] | None:
    """The period passed: the notice ends, and the level's approval (by "publicity") is returned for the chain
    to move on as after any approval; None when another sweep ended it first, or its case moved on (withdrawn)."""
    case, notice = locked(session, application_id, notice_id)
    if case is None or notice is None or notice.status != "open" or not period.has_passed(notice.ends_on,
                                                                                           today(now, zone)):
        return None
    task = session.get(ReviewTask, notice.task_id, with_for_update=True)
    notice.status, notice.ended_at, notice.updated_at = "ended", now, now
    if task is None or case.status != "open" or task.status != WAITING:
        return None
    notice_event(session, "publicity.ended", case, notice, None, outcome="passed", ended_at=now.isoformat())
    return case, task, LEVEL.passed(case, task, now)


def withdrawn(session: Session, application_id: str, now: datetime) -> None:
    """The application was withdrawn: its running or blocked period stops."""
    for notice in session.scalars(select(PublicityNotice).where(
            PublicityNotice.application_id == application_id,
            PublicityNotice.status.in_(("open", "paused", "blocked")))):
        notice.status, notice.ended_at, notice.updated_at = "withdrawn", now, now


# -- events ----------------------------------------------------------------------------------------------------

def notice_event(session: Session, event_type: str, case: ReviewCase, notice: PublicityNotice,
                 correlationid: str | None, **extra: Any) -> None:
    data = {
        "application_id": case.application_id, "application_version": case.application_version,
        "kind": case.kind, "round": notice.round, "task_id": notice.task_id, "applicant": case.applicant,
        "title": case.title, "working_days": notice.working_days,
        "opened_on": notice.opened_on.isoformat() if notice.opened_on else None,
        "ends_on": notice.ends_on.isoformat() if notice.ends_on else None, "status": notice.status, **extra,
    }
    version = case.revision if case.revision is not None else case.application_version
    outbox.add(session, envelope.new_event(event_type, SOURCE, case.application_id, data,
                                           correlationid=correlationid, aggregateversion=version))


__all__ = ["REVIEWER", "RUNNING", "announce", "decided", "due", "end", "locked", "lodge", "retry_blocked", "schedule",
           "withdrawn"]
