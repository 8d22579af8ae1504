"""The placements sweep: what falls due with time (offers that lapse, agreements about to end, the end of a
candidate list's publicity). A stub until the helpers who own those deadlines fill it.

`check(session, now, zone)` takes the clock as an argument (tests move it); the worker runs it periodically.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def check(session: Session, now: datetime, zone: str = "Asia/Shanghai") -> dict[str, int]:
    """One sweep; returns what it did (nothing yet)."""
    return {}
