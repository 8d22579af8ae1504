"""What the placements API's /metrics reads when scraped: the agreements by status, the candidates by status and
the offers by status, so the selection shows on the same dashboards as the bus. Counts only: never a name."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from services.placements.models import Agreement, Candidate, Offer

log = structlog.get_logger(__name__)


class PlacementFigures(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with Session(self.engine) as session:
                counts = [(name, help_, session.execute(select(column, func.count()).group_by(column)).all())
                          for name, help_, column in (
                              ("placement_agreements", "Agreements with partners by status", Agreement.status),
                              ("placement_candidates", "Candidates for places by status", Candidate.status),
                              ("placement_offers", "Offers of places by status", Offer.status))]
        except Exception as exc:  # a scrape must not fail because the database is away; readyz says so
            log.warning("metrics.placements_unavailable", error=str(exc)[:200])
            return
        for name, help_, rows in counts:
            family = GaugeMetricFamily(name, help_, labels=["status"])
            for status, count in rows:
                family.add_metric([status], count)
            yield family


def collectors(engine: Engine) -> list[Collector]:
    return [PlacementFigures(engine)]
