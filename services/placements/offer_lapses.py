"""The sweep's part for offers: an offer not answered by its deadline lapses (offer.lapsed, the student is told),
and the allocation of its round re-runs (reason "lapse") so the place goes to the next on the waiting list.
deadlines.check calls `check` with its clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.placements import selection


def check(session: Session, now: datetime, zone: str = "Asia/Shanghai") -> dict[str, int]:
    """Lapse the offers past their deadline at `now` (an exact instant: `zone` is not needed for it, but every
    part of the sweep takes the same arguments). Returns {"offers_lapsed": n, "allocation_reruns": m}."""
    return selection.lapse(session, now)
