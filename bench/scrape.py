"""The event workers' own counters, read from their /metrics ports as Prometheus reads them: what the
consumers took and the CPU they spent, by queue and event type; what still waits in the outboxes and the
queues. The bench's cost table and drain rate come from the same figures an operator watches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import requests
from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, str]  # (consuming queue, event type)


@dataclass(frozen=True)
class Scrape:
    consumed: dict[Key, float]  # messages acked, applied or duplicate
    cpu: dict[Key, float]  # the consumer thread's CPU seconds, receipt to ack
    pending: float  # outbox rows not yet published, every owner
    waiting: float  # messages ready in the consuming and retry queues (a parked message never drains)

    @property
    def total(self) -> float:
        return sum(self.consumed.values())


def scrape(urls: Iterable[str]) -> Scrape:
    consumed: dict[Key, float] = defaultdict(float)
    cpu: dict[Key, float] = defaultdict(float)
    pending = waiting = 0.0
    with requests.Session() as http:
        http.trust_env = False
        for url in urls:
            response = http.get(url, timeout=10)
            response.raise_for_status()
            for family in text_string_to_metric_families(response.text):
                for s in family.samples:
                    if s.name == "mobility_events_consumed_total":
                        consumed[s.labels["queue"], s.labels["type"]] += s.value
                    elif s.name == "mobility_events_consumed_cpu_seconds_total":
                        cpu[s.labels["queue"], s.labels["type"]] += s.value
                    elif s.name == "mobility_outbox_pending":
                        pending += s.value
                    elif s.name == "mobility_queue_messages" and not s.labels["queue"].endswith(".dlq"):
                        waiting += s.value
    return Scrape(dict(consumed), dict(cpu), pending, waiting)
