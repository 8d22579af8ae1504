"""A program's selection round itself: the status sets every module reads, opening and closing a round, finding
it (locked: the round row is the first lock every writer of a round's offers takes, see offers.py), and the
round's academic year. Every function works in the caller's transaction and takes the clock as an argument.

The academic year runs 1 September to 31 August and is named by the year it starts, as in the applications service
(services/applications/facts.py): a round's is the earliest of its candidates' terms' (`2031-fall` starts 1 Sep
2031: 2031; `2032-spring` starts 1 Feb 2032: 2031); with no term known, that of the first term after the program's
window closed (UTC): a window closing in February to December of year Y leads to fall Y or spring Y+1, both of
academic year Y; one closing in January of Y leads to spring Y, of academic year Y-1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.placements import ranking
from services.placements.errors import PlacementError
from services.placements.events import announce
from services.placements.models import Candidate, ListNotice, Program, Round

# one constant per status set
NOT_CLOSED = ("open", "allocated", "publicised", "final")  # a live round: its offers still move
RUNNABLE = NOT_CLOSED  # the allocation keeps running after the 差额公示 (a decline, lapse ... offers the place on)
SCORABLE = ("open", "allocated", "publicised")  # after "final" the grid is frozen
CLOSABLE = ("allocated", "publicised", "final")  # a round closes once it ran (an unused one stays open to run)
LIST_LIVE = ("blocked", "open", "paused")  # a candidate list that may still open, end or be objected to
SYSTEM = "system"  # who runs the re-runs the sweep and other services' news cause


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def program_of(session: Session, program_id: str) -> Program:
    program = session.get(Program, program_id)
    if program is None:
        raise PlacementError("No such program here (the placements service has not heard of it).", status=404)
    return program


def get_round(session: Session, round_id: str, lock: bool = False) -> Round:
    """The round; `lock` takes its row FOR UPDATE (refreshed), the first lock of every writer of its offers."""
    found = session.get(Round, round_id, with_for_update=lock, populate_existing=lock)
    if found is None:
        raise PlacementError("No such selection round.", status=404)
    return found


def live_round(session: Session, program_id: str, lock: bool = False) -> Round | None:
    """The program's round that is not closed, if any (at most one: the partial unique index)."""
    found = session.scalars(select(Round.id).where(Round.program_id == program_id,
                                                   Round.status.in_(NOT_CLOSED))).first()
    return get_round(session, found, lock) if found else None


def candidates_of(session: Session, program_id: str) -> list[Candidate]:
    return list(session.scalars(select(Candidate).where(Candidate.program_id == program_id)
                                .order_by(Candidate.application_id)))


def open_round(session: Session, program_id: str, who: str, now: datetime, formula: Mapping[str, Any] | None = None,
               offer_days: int = 7, publicity_days: int = 5) -> Round:
    """The program's selection round, opened once its application window has closed; one live round per
    program. Announces selection.round_opened."""
    program = program_of(session, program_id)
    if program.closes_at is None or program.closes_at >= now:
        raise PlacementError("The program's application window has not closed yet: a round opens after it closes.")
    if session.scalar(select(Round.id).where(Round.program_id == program_id, Round.status.in_(NOT_CLOSED))):
        raise PlacementError("The program already has a selection round that is not closed.")
    try:
        checked = ranking.Formula.from_json(formula)
    except ValueError as exc:
        raise PlacementError(f"The formula is not valid: {exc}", status=422,
                             errors={"json": {"formula": [str(exc)]}}) from None
    opened = Round(id=str(uuid.uuid4()), program_id=program_id, status="open", formula=checked.as_json(),
                   offer_days=offer_days, publicity_days=publicity_days, opened_by=who, opened_at=now, version=1)
    session.add(opened)
    session.flush()  # the partial unique index settles two ICD officers opening at once
    eligible = [c for c in candidates_of(session, program_id) if c.status == "eligible"]
    announce(session, "selection.round_opened", opened.id, {
        "round_id": opened.id, "program_id": program_id, "program_name": program.name, "status": opened.status,
        "candidates": len(eligible), "formula": opened.formula, "offer_days": offer_days, "opened_by": who,
        "opened_at": iso(now)}, opened.version)
    return opened


def close_round(session: Session, round_id: str, version: int | None) -> Round:
    """The ICD closes a round that ran (the caller checked the role): its offers stop moving and the program
    may open a new round. Offers and nominations already made stay as they are (an open offer may still be
    answered: a decline then frees the place without a re-run, as a lapse does). Refused while the round's
    candidate list is blocked, open or paused: the sweep would otherwise end it later and make the closed round
    "final" again, or, with a newer round open, fail on every sweep (review 2, NB1)."""
    round_ = get_round(session, round_id, lock=True)
    if version is not None and version != round_.version:
        raise PlacementError("This round changed since you read it: reload it and try again.")
    if round_.status not in CLOSABLE:
        raise PlacementError(f"The round is {round_.status}: only a round that ran and is not closed can close.")
    # the notice's row after the round's, the order list_publicity keeps; the sweep ends or opens a list only
    # under the round's lock, so it cannot slip between this check and the close
    notice = session.get(ListNotice, round_id, with_for_update=True, populate_existing=True)
    if notice is not None and notice.status in LIST_LIVE:
        raise PlacementError(f"The round's candidate list is {notice.status}: end or withdraw the candidate list "
                             "first (a list ends once its publicity period is over).")
    round_.status, round_.version = "closed", round_.version + 1
    return round_


def academic_year_of_term(term: str | None) -> int | None:
    """`2031-fall` → 2031, `2032-spring` → 2031 (the academic year the term's first day falls in); None when
    the term is not one of those."""
    if not term or len(term) < 6 or not term[:4].isdigit() or term[5:] not in ("fall", "spring"):
        return None
    return int(term[:4]) if term[5:] == "fall" else int(term[:4]) - 1


def academic_year(program: Program | None, everyone: Iterable[Candidate]) -> int | None:
    """The round's academic year: its candidates' earliest term's, else the first term's after the window
    closed (see the module's docstring); None when neither is known."""
    years = [year for year in (academic_year_of_term(c.term) for c in everyone) if year is not None]
    if years:
        return min(years)
    if program is None or program.closes_at is None:
        return None
    closed = program.closes_at
    # January: that spring (1 Feb) is in the academic year that began the September before
    return closed.year - 1 if closed.month == 1 else closed.year
