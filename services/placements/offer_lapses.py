"""The sweep's part for offers: an offer not answered by its deadline lapses (offer.lapsed, the student is told),
and the allocation of its round re-runs (reason "lapse") so the place goes to the next on the waiting list, also
after the 差额公示. Each round is done in its own savepoint, its round's row locked first and then its offers
(the lock order of offers.py); a round another transaction holds is skipped until the next sweep, and a round that
fails is logged and rolled back alone. deadlines.check calls `check` with its clock."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.placements import allocation_runs, offers, rounds
from services.placements.models import Offer, Round

log = logging.getLogger(__name__)


def _lapse_round(session: Session, round_id: str, now: datetime) -> tuple[int, int]:
    """(offers lapsed, re-runs) of one round; (0, 0) when another transaction holds it."""
    round_ = session.scalars(select(Round).where(Round.id == round_id).with_for_update(skip_locked=True)
                             .execution_options(populate_existing=True)).first()
    if round_ is None:
        return 0, 0
    due = [o for o in offers.lock_offers(session, round_, statuses=("offered",)) if o.deadline < now]
    for offer in due:
        offers.change(session, offer, "lapsed")
    if due and round_.status in rounds.RUNNABLE:
        allocation_runs.run_allocation(session, round_.id, rounds.SYSTEM, "lapse", now)
        return len(due), 1
    return len(due), 0


def lapse(session: Session, now: datetime) -> dict[str, int]:
    """Offers past their deadline unanswered lapse, and each round that had one re-runs."""
    done = {"offers_lapsed": 0, "allocation_reruns": 0}
    due_rounds = list(session.scalars(select(Offer.round_id).where(Offer.status == "offered", Offer.deadline < now)
                                      .group_by(Offer.round_id).order_by(Offer.round_id)))
    for round_id in due_rounds:
        try:
            with session.begin_nested():
                lapsed, reruns = _lapse_round(session, round_id, now)
        except Exception:  # one round's failure (a deadlock, a bad row) leaves the others' lapses standing
            log.exception("placements sweep: the lapses of round %s failed; the next sweep tries again", round_id)
            continue
        done["offers_lapsed"] += lapsed
        done["allocation_reruns"] += reruns
    return done


def check(session: Session, now: datetime, zone: str = "Asia/Shanghai") -> dict[str, int]:
    """Lapse the offers past their deadline at `now` (an exact instant: `zone` is not needed for it, but every
    part of the sweep takes the same arguments). Returns {"offers_lapsed": n, "allocation_reruns": m}."""
    return lapse(session, now)
