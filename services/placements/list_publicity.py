"""The 差额公示 of a selection round: its candidate list published for N official working days with objections
(issue 20 item 5), the publicity level's rules applied to a list instead of one application.

- publish: after an allocation run, the ICD publishes every ranked candidate still in the round (more than there
  are places: 差额) with position, name, school, score and the partner of the latest run or "waiting". The
  period is dated on placements' copy of the official calendar (calendar_copy.py); a year the calendar does not
  know is never guessed: the notice stays "blocked" with the reason and the sweep opens it once the year is known.
- objections: any signed-in member of the university objects while the period runs; the first pauses it with
  the working days still to run (more objections may come while it is paused).
- decisions (the ICD): a dismissal resumes the period with those days once no objection is open; an upheld one
  takes the candidate it is about out of the round (status "excluded", their offers withdrawn), re-runs the
  allocation and republishes the list, which then runs for the rest of the period.
- after any re-run while the list is open or paused (a decline, a lapse ...), its content is republished
  (`refresh`, called by allocation_runs.run_allocation).
- finding the lists (`findable`): running or paused, or ended within the last 30 days, for anyone signed in.
- the sweep (`check`): a period whose last day is over ends; the round becomes "final". Each notice is done in
  its own savepoint: one that fails is logged and the others go on. A closed round's status never changes here
  (checked under the round's lock): rounds.close_round refuses while the list is blocked, open or paused, and a
  list left running on a round closed before that rule only ends, its round staying closed.
The period's arithmetic is chassis/publicity_period.py's, shared with reviews. Every function works in the
caller's transaction and takes the clock as an argument; locks are taken round first, then notice, then rows.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from chassis import publicity_period as period
from services.placements import allocation_runs, calendar_copy, offer_changes, rounds, scores
from services.placements.errors import PlacementError
from services.placements.events import announce
from services.placements.models import Candidate, ListNotice, ListObjection, Place, Program, Round

log = logging.getLogger(__name__)

WAITING = "waiting"  # the list's word for a candidate the latest run did not place
EXCLUDED = "excluded"  # a candidate's status once an upheld objection took them out of the round
OUTCOMES = ("uphold", "dismiss")
RECENT = timedelta(days=30)  # how long an ended list stays findable (`findable`)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def notice_of(session: Session, round_id: str, lock: bool = False) -> ListNotice:
    notice = session.get(ListNotice, round_id, with_for_update=lock)
    if notice is None:
        raise PlacementError("The candidate list of this round has not been published.", status=404)
    return notice


def objections_of(session: Session, round_id: str) -> list[ListObjection]:
    return list(session.scalars(select(ListObjection).where(ListObjection.round_id == round_id)
                                .order_by(ListObjection.lodged_at, ListObjection.id)))


def findable(session: Session, now: datetime) -> list[tuple[ListNotice, str]]:
    """The lists anyone signed in may find, with their program's name: running or paused, then those ended within
    RECENT of `now` (their result still interests the candidates), newest first in each group. A blocked list
    is not public yet."""
    since = now - RECENT
    rows = session.execute(
        select(ListNotice, Program.name).join(Round, Round.id == ListNotice.round_id)
        .join(Program, Program.program_id == Round.program_id, isouter=True)
        .where(or_(ListNotice.status.in_(("open", "paused")),
                   and_(ListNotice.status == "ended", ListNotice.ended_at >= since)))
        .order_by(ListNotice.status == "ended", ListNotice.opened_on.desc().nulls_last(), ListNotice.round_id))
    return [(notice, name or "") for notice, name in rows]


def listed(session: Session, round_: Round) -> list[dict[str, Any]]:
    """The list as it stands: the ranking now, without those who left the round (declined, lapsed, withdrawn,
    excluded), each with the partner of the latest run or "waiting"."""
    run = allocation_runs.last_run(session, round_.id)
    if run is None:
        raise PlacementError("Run the allocation first: the list shows each candidate's allocated partner.")
    lines, everyone = scores.ranked(session, round_)
    left = set(run.inputs.get("excluded", []))
    assignment = run.result.get("assignment", {})
    names = {p.partner_id: p.partner_name for p in session.scalars(select(Place).where(
        Place.program_id == round_.program_id))}
    for candidate in everyone.values():
        for choice in candidate.choices:
            names.setdefault(choice["partner_id"], choice.get("name") or "")
    rows = []
    for line in lines:
        if line.application_id in left:
            continue
        candidate = everyone[line.application_id]
        partner = assignment.get(line.application_id)
        rows.append({"position": len(rows) + 1, "application_id": line.application_id,
                     "name": candidate.applicant_name, "school": candidate.school, "score": str(line.score),
                     "partner_id": partner, "allocated": names.get(partner, partner) if partner else WAITING})
    return rows


def _event(session: Session, event_type: str, round_: Round, notice: ListNotice, **extra: Any) -> None:
    program = session.get(Program, round_.program_id)
    announce(session, event_type, round_.id, {
        "round_id": round_.id, "program_id": round_.program_id, "program_name": program.name if program else "",
        "working_days": notice.working_days, "status": notice.status, "opened_on": _iso(notice.opened_on),
        "ends_on": _iso(notice.ends_on), "candidates": len(notice.content), **extra}, notice.version)


def _start(session: Session, round_: Round, notice: ListNotice, now: datetime, zone: str) -> bool:
    """Date the period from today and announce it; False (blocked, with the reason) if the year is unknown, or
    when the round (locked by the caller) is closed: a closed round never becomes "publicised" again."""
    if round_.status == "closed":
        return False
    opened_on = period.today(now, zone)
    try:
        ends_on = period.ends_on(calendar_copy.official(session), opened_on, notice.working_days)
    except period.UnknownYear as exc:
        notice.status, notice.reason = "blocked", str(exc)
        return False
    notice.opened_on, notice.ends_on, notice.status, notice.reason = opened_on, ends_on, "open", None
    notice.version += 1
    round_.status, round_.version = "publicised", round_.version + 1
    _event(session, "selection.list_opened", round_, notice, published_by=notice.published_by,
           published_at=_iso(notice.published_at))
    return True


def publish(session: Session, round_id: str, who: str, now: datetime, zone: str) -> ListNotice:
    """The ICD publishes the round's list after an allocation run: open for the round's publicity_days, or
    blocked while the calendar does not know the year. Once per round (an upheld objection republishes it)."""
    round_ = rounds.get_round(session, round_id, lock=True)
    if session.get(ListNotice, round_id, with_for_update=True) is not None:
        raise PlacementError("The list of this round is already published; an upheld objection republishes it.")
    if round_.status != "allocated":
        raise PlacementError(f"The round is {round_.status}: its list is published after an allocation run.")
    notice = ListNotice(round_id=round_.id, working_days=round_.publicity_days, status="blocked",
                        content=listed(session, round_), published_by=who, published_at=now, version=0)
    session.add(notice)
    _start(session, round_, notice, now, zone)
    return notice


def lodge(session: Session, round_id: str, objector: str, objector_name: str, text: str,
          application_id: str | None, now: datetime, zone: str) -> ListObjection:
    """An objection while the period runs (or is already paused by another): the first pauses it with the
    working days after today still to run."""
    round_ = rounds.get_round(session, round_id, lock=True)
    notice = notice_of(session, round_id, lock=True)
    if round_.status == "closed":
        raise PlacementError("The round is closed: its list takes no more objections.")
    day = period.today(now, zone)
    running = notice.status == "paused" or (notice.status == "open" and period.runs_on(notice.ends_on, day))
    if not running:
        shown = "ended" if notice.status == "open" else notice.status
        raise PlacementError(f"The list's publicity period is {shown}; objections are taken only while it runs.")
    if not text.strip():
        raise PlacementError("Say what the objection is: the text is required.", status=422,
                             errors={"json": {"text": ["Required."]}})
    if application_id is not None and application_id not in {row["application_id"] for row in notice.content}:
        raise PlacementError("The objection names a candidate who is not on the list.", status=422,
                             errors={"json": {"application_id": ["Not on the list."]}})
    if notice.status == "open":
        assert notice.ends_on is not None  # runs_on() holds only for a dated period
        notice.remaining = period.remaining(calendar_copy.official(session), day, notice.ends_on)
        notice.status = "paused"
    notice.version += 1
    objection = ListObjection(id=str(uuid.uuid4()), round_id=round_id, objector=objector,
                              objector_name=objector_name[:120], text=text.strip(), application_id=application_id,
                              lodged_at=now, status="open")
    session.add(objection)
    # the objector and the text stay out of the event (public news): the ICD reads them in the service
    _event(session, "selection.list_objection_lodged", round_, notice, objection_id=objection.id,
           lodged_at=_iso(now), remaining_working_days=notice.remaining)
    return objection


def decide(session: Session, round_id: str, objection_id: str, who: str, outcome: str, comment: str | None,
           application_id: str | None, now: datetime, zone: str) -> ListObjection:
    """The ICD's decision on an open objection (the caller checked the role). Upholding needs a comment and
    the candidate it is about (the objection's, or named here)."""
    if outcome not in OUTCOMES:
        raise PlacementError(f"The outcome is one of {', '.join(OUTCOMES)}.", status=422)
    round_ = rounds.get_round(session, round_id, lock=True)
    notice = notice_of(session, round_id, lock=True)
    objection = session.get(ListObjection, objection_id, with_for_update=True)
    if objection is None or objection.round_id != round_id:
        raise PlacementError("No such objection to this list.", status=404)
    if objection.status != "open":
        raise PlacementError(f"This objection was already decided: {objection.status}.")
    upheld = outcome == "uphold"
    about = application_id or objection.application_id
    if upheld and not (comment or "").strip():
        raise PlacementError("Say why: a comment is required to uphold an objection.", status=422,
                             errors={"json": {"comment": ["Required to uphold."]}})
    if upheld and about not in {row["application_id"] for row in notice.content}:
        raise PlacementError("Name the candidate on the list the upheld objection takes out of the round.",
                             status=422, errors={"json": {"application_id": ["A candidate on the list."]}})
    objection.status = "upheld" if upheld else "dismissed"
    objection.application_id = about if upheld else objection.application_id
    objection.decided_by, objection.decided_at, objection.comment = who, now, comment
    session.flush()
    if upheld:
        assert about is not None
        _exclude(session, round_, about, who, now)  # its re-run republishes the list (refresh)
    still_open = session.scalar(select(ListObjection.id).where(ListObjection.round_id == round_id,
                                                               ListObjection.status == "open").limit(1))
    if notice.status == "paused" and still_open is None:
        try:
            notice.ends_on = period.resumed_end(calendar_copy.official(session), period.today(now, zone),
                                                notice.remaining or 0)
        except period.UnknownYear as exc:
            raise PlacementError(f"The period cannot resume: {exc}") from None
        notice.status, notice.remaining = "open", None
    notice.version += 1
    _event(session, "selection.list_objection_decided", round_, notice, objection_id=objection.id,
           outcome=objection.status, application_id=objection.application_id if upheld else None,
           decided_by=who, decided_at=_iso(now))
    return objection


def _exclude(session: Session, round_: Round, application_id: str, who: str, now: datetime) -> None:
    """The candidate leaves the round (status "excluded"): offer_changes.excluded withdraws their offers, cancels
    their nomination and re-runs the allocation, so their place goes to the head of the partner's waiting list."""
    candidate = session.get(Candidate, application_id, with_for_update=True)
    if candidate is None:
        raise PlacementError("No such candidate.", status=404)
    candidate.status = EXCLUDED
    offer_changes.excluded(session, round_, application_id, who, now)


def refresh(session: Session, round_: Round) -> None:
    """After a re-run: a list still open or paused shows the new run (its content republished)."""
    notice = session.get(ListNotice, round_.id, with_for_update=True)
    if notice is not None and notice.status in ("open", "paused"):
        notice.content, notice.version = listed(session, round_), notice.version + 1


def _open_blocked(session: Session, round_id: str, now: datetime, zone: str) -> bool:
    round_ = session.get(Round, round_id, with_for_update=True, populate_existing=True)
    notice = session.get(ListNotice, round_id, with_for_update=True, populate_existing=True)
    if round_ is None or notice is None or notice.status != "blocked" or round_.status == "closed":
        return False  # the round's status read under its lock: one closed meanwhile is left alone
    notice.content = listed(session, round_)  # runs may have moved places while it waited: publish them now
    return _start(session, round_, notice, now, zone)


def _end(session: Session, round_id: str, now: datetime, day: Any) -> bool:
    round_ = session.scalars(select(Round).where(Round.id == round_id).with_for_update(skip_locked=True)
                             .execution_options(populate_existing=True)).first()
    notice = (session.get(ListNotice, round_id, with_for_update=True, populate_existing=True)
              if round_ else None)
    if round_ is None or notice is None or notice.status != "open" or not period.has_passed(notice.ends_on, day):
        return False
    notice.status, notice.ended_at, notice.version = "ended", now, notice.version + 1
    if round_.status != "closed":  # a round closed while its list ran (before close_round refused it) stays closed
        round_.status, round_.version = "final", round_.version + 1
    _event(session, "selection.list_ended", round_, notice, ended_at=_iso(now))
    return True


def _each(session: Session, what: str, round_id: str, step: Any, *args: Any) -> bool:
    """One notice's step in its own savepoint: a failure is logged and rolls back that notice alone."""
    try:
        with session.begin_nested():
            return bool(step(session, round_id, *args))
    except Exception:
        log.exception("placements sweep: %s of the list of round %s failed; the next sweep tries again", what,
                      round_id)
        return False


def check(session: Session, now: datetime, zone: str) -> dict[str, int]:
    """The sweep: blocked lists whose year the calendar now knows open; running lists whose last day is over
    end, and their round becomes "final" (selection.list_ended). Rows another sweep holds are skipped."""
    opened = ended = 0
    day = period.today(now, zone)
    # a closed round's blocked list never opens (_start): not even tried, so it is not retried on every sweep
    blocked = select(ListNotice.round_id).join(Round, Round.id == ListNotice.round_id).where(
        ListNotice.status == "blocked", Round.status != "closed")
    for round_id in list(session.scalars(blocked)):
        opened += _each(session, "opening", round_id, _open_blocked, now, zone)
    due = list(session.scalars(select(ListNotice.round_id).where(ListNotice.status == "open",
                                                                 ListNotice.ends_on < day)
                               .order_by(ListNotice.ends_on, ListNotice.round_id)))
    for round_id in due:
        ended += _each(session, "the end", round_id, _end, now, day)
    return {"lists_opened": opened, "lists_ended": ended}
