"""7. Cost per event type: the consumer thread's CPU per message, by consuming queue and event type, over
the whole run (the counters' difference from the stack's start to its end), so that a regression points
at its handler rather than at "the workers"."""

from __future__ import annotations

from dataclasses import dataclass

from bench.scrape import Scrape


@dataclass(frozen=True)
class Cost:
    queue: str
    type: str
    events: int  # messages acked (applied or duplicate); a retried or parked one costs CPU but is not counted
    cpu_seconds: float

    @property
    def ms_per_event(self) -> float:
        return 1000 * self.cpu_seconds / self.events if self.events else float("nan")


def per_event_type(before: Scrape, after: Scrape) -> list[Cost]:
    """Every (queue, type) that took a message or CPU between the two scrapes, the costliest first."""
    costs = [Cost(queue, type_, round(after.consumed.get((queue, type_), 0) - before.consumed.get((queue, type_), 0)),
                  after.cpu.get((queue, type_), 0) - before.cpu.get((queue, type_), 0))
             for queue, type_ in sorted(after.consumed.keys() | after.cpu.keys())]
    return sorted((c for c in costs if c.events or c.cpu_seconds > 0), key=lambda c: -c.cpu_seconds)
