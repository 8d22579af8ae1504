"""The sweep over agreements: a reminder (agreement.expiring, for the ICD) once per end date when a signed agreement
is within N days of its `valid_to`, and the end itself: a signed agreement past its last valid day becomes
`expired` (agreement.saved). N is settings `agreement_reminder_days` (MOBILITY_AGREEMENT_REMINDER_DAYS, default 90).

`check(session, now, zone)` takes the clock as an argument (tests move it); deadlines.check calls it. Each agreement
is done in its own savepoint: one that fails is logged and rolled back alone, the others go on.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.settings import Settings
from services.placements import agreements
from services.placements.events import announce
from services.placements.models import Agreement, AgreementTerm

log = logging.getLogger(__name__)


def _due(session: Session, last: date):  # type: ignore[no-untyped-def]
    """Signed agreements ending by `last`: those to remind and those already ended."""
    query = (select(Agreement).where(Agreement.status == "signed", Agreement.valid_to <= last)
             .order_by(Agreement.valid_to, Agreement.id))
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)  # two workers never remind twice nor expire twice
    return query


def _one(session: Session, agreement: Agreement, now: datetime, today: date, days: int) -> str | None:
    """The agreement's end or reminder, if due: "agreements_expired", "agreements_expiring" or None."""
    if agreements.ended(agreement, today):
        agreement.status, agreement.version = "expired", agreement.version + 1
        agreement.updated_at = now.astimezone(UTC)
        terms = session.scalars(select(AgreementTerm).where(AgreementTerm.agreement_id == agreement.id)
                                .order_by(AgreementTerm.id)).all()
        announce(session, "agreement.saved", agreement.id, agreements.event_data(agreement, terms, "expired"),
                 agreement.version)
        return "agreements_expired"
    if agreements.expiring(agreement, today, days):
        agreement.reminder_sent_for = agreement.valid_to  # once per end date: a renewal's new end reminds again
        announce(session, "agreement.expiring", agreement.id, agreements.expiring_data(agreement, today),
                 agreement.version)
        return "agreements_expiring"
    return None


def check(session: Session, now: datetime, zone: str = "Asia/Shanghai", days: int = Settings.agreement_reminder_days
          ) -> dict[str, int]:
    """One sweep; returns what it did: reminders sent, agreements expired."""
    today = now.astimezone(ZoneInfo(zone)).date()
    done = {"agreements_expiring": 0, "agreements_expired": 0}
    for agreement in session.scalars(_due(session, today + timedelta(days=days))).all():
        try:
            with session.begin_nested():
                kind = _one(session, agreement, now, today, days)
        except Exception:  # one agreement's failure leaves the others' reminders and ends standing
            log.exception("placements sweep: agreement %s failed; the next sweep tries again", agreement.id)
            continue
        if kind:
            done[kind] += 1
    return done
