"""What the mobilities API's /metrics reads when scraped: records by kind and status, and the open holds by
scope and reason, so the office's follow-up (who is away, who is overdue) shows on the same dashboards as the bus."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from services.mobilities.models import Hold, Mobility

log = structlog.get_logger(__name__)


class MobilityFigures(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with Session(self.engine) as session:
                records = session.execute(select(Mobility.kind, Mobility.status, func.count())
                                          .group_by(Mobility.kind, Mobility.status)).all()
                held = session.execute(select(Hold.scope, Hold.what, func.count()).where(Hold.cleared_at.is_(None))
                                       .group_by(Hold.scope, Hold.what)).all()
        except Exception as exc:  # a scrape must not fail because the database is away; readyz says so
            log.warning("metrics.mobilities_unavailable", error=str(exc)[:200])
            return
        by_status = GaugeMetricFamily("mobility_records", "Mobility records by kind and status",
                                      labels=["kind", "status"])
        for kind, status, count in records:
            by_status.add_metric([kind, status], count)
        yield by_status
        holds = GaugeMetricFamily("mobility_holds_open", "Open holds by scope (person, school) and overdue item",
                                  labels=["scope", "what"])
        for scope, what, count in held:
            holds.add_metric([scope, what], count)
        yield holds


def collectors(engine: Engine) -> list[Collector]:
    return [MobilityFigures(engine)]
