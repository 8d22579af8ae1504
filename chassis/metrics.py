"""Prometheus metrics at `/metrics`: HTTP latency per route, the bus's counters (eventbus/metrics.py), and
figures read when scraped: the outbox's pending rows and the age of the oldest, and the messages waiting in
the service's queues (its consumer lag, its retries, its parked messages).

API processes under gunicorn share their counters through PROMETHEUS_MULTIPROC_DIR (`mobility serve` sets
it); a worker process serves its own at MOBILITY_METRICS_PORT.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import structlog
from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from eventbus import outbox

log = structlog.get_logger(__name__)
HTTP_SECONDS = Histogram(
    "mobility_http_request_duration_seconds", "HTTP requests by route (the URL rule, not the path)",
    ["service", "route", "method", "status"],
)


class OutboxFigures(Collector):
    """Pending outbox rows and the age of the oldest: a relay that is stuck or behind shows here first."""

    def __init__(self, engine: Engine, source: str) -> None:
        self.engine, self.source = engine, source

    def collect(self) -> Iterator[Metric]:
        try:
            with Session(self.engine) as session:
                count, oldest = outbox.pending(session)
        except Exception as exc:  # a scrape must not fail because the database is away; readyz says so
            log.warning("metrics.outbox_unavailable", error=str(exc)[:200])
            return
        pending = GaugeMetricFamily("mobility_outbox_pending", "Outbox rows not yet published", labels=["source"])
        pending.add_metric([self.source], count)
        yield pending
        age = GaugeMetricFamily("mobility_outbox_oldest_pending_age_seconds",
                                "Age of the oldest unpublished outbox row (0 when none)", labels=["source"])
        age.add_metric([self.source], (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)
        yield age


class QueueFigures(Collector):
    """Messages waiting in a service's queue (consumer lag), its retry queue and its DLQ, asked of the broker."""

    def __init__(self, broker_url: str, queues: Iterable[str]) -> None:
        self.broker_url, self.queues = broker_url, list(queues)

    def collect(self) -> Iterator[Metric]:
        from eventbus.broker import open_connection

        family = GaugeMetricFamily("mobility_queue_messages", "Messages ready in a queue", labels=["queue"])
        try:
            with open_connection(self.broker_url, timeout=2) as connection:
                for queue in self.queues:
                    channel = connection.channel()  # a passive declare of a missing queue closes its channel
                    try:
                        family.add_metric([queue], channel.queue_declare(queue=queue, passive=True).message_count)
                    except Exception:  # not declared (yet): nothing to report for it
                        continue
                    finally:
                        try:
                            channel.close()
                        except Exception:
                            log.debug("metrics.channel_close_failed", queue=queue)
        except Exception as exc:
            log.warning("metrics.broker_unavailable", error=str(exc)[:200])
            return
        yield family


def figures(owner: str, broker_url: str, engine: Engine) -> list[Collector]:
    """What an owner's /metrics reads at scrape time, in its API and in its worker: its outbox, and its queues.
    Here rather than beside the app, so that a worker does not import the web stack (Flask-Smorest, the PDF
    makers, the token checks) only to serve these: 17 MB of every worker's memory."""
    from eventbus.topology import names

    queues = names(owner)
    return [OutboxFigures(engine, owner), QueueFigures(broker_url, [queues.main, queues.retry, queues.dlq])]


class _ProcessMetrics(Collector):
    """This process's own counters and histograms (the default registry), inside a per-scrape registry."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()

    def describe(self) -> list[Metric]:
        return []


def registry(collectors: Iterable[Collector]) -> CollectorRegistry:
    result = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(result)  # every gunicorn worker's counters, summed
    else:
        result.register(_ProcessMetrics())
    for collector in collectors:
        result.register(collector)
    return result


def install(app: Flask, service: str, collectors: list[Collector], public: bool = False) -> None:
    """Time every request and serve /metrics. On the public entrypoint (`public`), /metrics answers only
    requests that did not come through a proxy: Prometheus scrapes the pod, visitors come via the ingress."""
    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
            HTTP_SECONDS.labels(service, route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response

    def metrics() -> Any:
        if public and "X-Forwarded-For" in request.headers:
            raise NotFound()
        return Response(generate_latest(registry(collectors)), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics)


def serve(port: int, collectors: list[Collector]) -> None:
    """A worker process's /metrics on its own port (it has no HTTP API)."""
    from prometheus_client import start_http_server

    start_http_server(port, registry=registry(collectors))
    log.info("metrics.serving", port=port)
