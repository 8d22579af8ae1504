"""6. Backlog drain rate after an outage: the event workers are stopped (SIGSTOP) while the gateway takes
submissions, as if they had been down; from the moment they resume, how fast the whole system catches up.

Done is: no outbox row unpublished, no message ready in a consuming or retry queue, and the consumers'
counters unchanged since the previous scrape (a prefetched message is not "ready" but not handled yet).
The end is the scrape that first showed the final count, so the figure is exact to one poll interval.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from bench.scrape import Scrape, scrape


@dataclass(frozen=True)
class Drain:
    submissions: int  # accepted while the workers were stopped
    events: int  # messages the consumers took until drained, every queue
    seconds: float
    complete: bool

    @property
    def events_rate(self) -> float:
        return self.events / self.seconds if self.seconds else float("nan")

    @property
    def submissions_rate(self) -> float:
        return self.submissions / self.seconds if self.seconds else float("nan")


def catch_up(urls: Iterable[str], before: Scrape, resumed: float, submissions: int, timeout: float,
             interval: float = 0.5) -> Drain:
    """`before`: the workers' counters scraped before they were stopped; `resumed`: time.monotonic() at
    their SIGCONT. Scraping costs the workers a query and a broker connection, hence the half second."""
    urls = list(urls)
    last, changed = before.total, resumed
    while True:
        now = scrape(urls)
        at = time.monotonic()
        moved = now.total != last
        if moved:
            last, changed = now.total, at
        elif now.pending == 0 and now.waiting == 0:
            return Drain(submissions, round(last - before.total), changed - resumed, complete=True)
        if at - resumed > timeout:
            return Drain(submissions, round(last - before.total), at - resumed, complete=False)
        time.sleep(interval)
