"""The placements sweep: what falls due with time — offers that lapse (offer_lapses), agreements about to end
(agreement_reminders), the end of a candidate list's publicity (list_publicity).

`check(session, now, zone)` takes the clock as an argument (tests move it); the worker runs it periodically. Each
part does each of its rounds, agreements and notices in its own savepoint (session.begin_nested), so one that fails
is logged and rolled back alone and the rest of the sweep still commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from chassis.settings import Settings
from services.placements import agreement_reminders, list_publicity, offer_lapses


def check(session: Session, now: datetime, zone: str = "Asia/Shanghai",
          reminder_days: int = Settings.agreement_reminder_days) -> dict[str, int]:
    """One sweep; returns what it did, by kind. `reminder_days`: how long before an agreement's end the ICD is
    reminded (the settings' agreement_reminder_days)."""
    done: dict[str, int] = {}
    done.update(offer_lapses.check(session, now, zone))
    done.update(agreement_reminders.check(session, now, zone, reminder_days))
    done.update(list_publicity.check(session, now, zone))
    return done
