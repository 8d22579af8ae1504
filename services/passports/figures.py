"""What the passports API's /metrics reads when scraped: the register by status and type, the passports out on loan
and how many of them are overdue, so the office's custody shows on the same dashboards as the bus. Counts only:
never a holder or a number."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from services.passports.models import Loan, Passport

log = structlog.get_logger(__name__)


class PassportFigures(Collector):
    def __init__(self, engine: Engine, zone: str = "Asia/Shanghai") -> None:
        self.engine, self.zone = engine, zone

    def collect(self) -> Iterator[Metric]:
        today = datetime.now(UTC).astimezone(ZoneInfo(self.zone)).date()
        try:
            with Session(self.engine) as session:
                register = session.execute(select(Passport.status, Passport.type, func.count())
                                           .group_by(Passport.status, Passport.type)).all()
                out = session.scalar(select(func.count()).select_from(Loan).where(Loan.returned_on.is_(None)))
                late = session.scalar(select(func.count()).select_from(Loan).where(
                    Loan.returned_on.is_(None), Loan.due_on < today))
        except Exception as exc:  # a scrape must not fail because the database is away; readyz says so
            log.warning("metrics.passports_unavailable", error=str(exc)[:200])
            return
        by_status = GaugeMetricFamily("passports", "Passports in the register by status and type",
                                      labels=["status", "type"])
        for status, kind, count in register:
            by_status.add_metric([status, kind], count)
        yield by_status
        yield GaugeMetricFamily("passport_loans_open", "Passports out on loan", value=out or 0)
        yield GaugeMetricFamily("passport_loans_overdue", "Passports out on loan past their due date",
                                value=late or 0)


def collectors(engine: Engine) -> list[Collector]:
    return [PassportFigures(engine)]
