"""3. Event latency: submit → review task committed (reviews) → notification committed (notifications).

Measured from the rows themselves: the application's submitted_at, the level-1 task's created_at, and the
first notification written for that task's review.task_created event. One clock (one machine), so the
differences are exact; each is taken inside its transaction, a few hundred microseconds before the commit.
"""

from __future__ import annotations

import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import requests

from bench.environment import libpq
from bench.submission import submit_paths


@dataclass(frozen=True)
class Latencies:
    task_ms: list[float]
    notification_ms: list[float]
    submitted: int
    failed: int
    generator_cpu: float = 0.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def paced(base_url: str, token: str, ids: list[str], rate: float) -> tuple[int, float]:
    """Submit `ids` at a steady `rate` per second (open loop: a slow answer does not delay the next one).
    Returns how many failed, and the CPU (cores) this generator used."""
    local = threading.local()
    headers = {"Authorization": f"Bearer {token}", "If-Match": '"1"'}

    def submit(path: str) -> bool:
        if not hasattr(local, "http"):
            local.http = requests.Session()
            local.http.trust_env = False
        try:
            return local.http.post(base_url + path, headers=headers, timeout=30).status_code == 200
        except requests.RequestException:
            return False

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = []
        for n, path in enumerate(submit_paths(ids)):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(submit, path))
        failed = sum(1 for f in futures if not f.result())
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / (time.monotonic() - started)
    return failed, cpu


def collect(database_urls: dict[str, str], ids: list[str], timeout: float) -> Latencies:
    """Wait until every submitted application has its task and its task's notification, then measure."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(libpq(database_urls["applications"])) as conn:
        submitted = dict(conn.execute(
            "SELECT id, submitted_at FROM applications WHERE id = ANY(%s) AND submitted_at IS NOT NULL",
            (ids,)).fetchall())
    wanted = list(submitted)
    while True:
        with psycopg.connect(libpq(database_urls["reviews"])) as conn:
            tasks = dict(conn.execute(
                "SELECT application_id, min(created_at) FROM review_tasks WHERE application_id = ANY(%s) "
                "AND level = 1 GROUP BY application_id", (wanted,)).fetchall())
            events = dict(conn.execute(
                "SELECT event_id, subject FROM outbox WHERE type = 'review.task_created' AND subject = ANY(%s) "
                "AND sent_at IS NOT NULL", (wanted,)).fetchall())
        with psycopg.connect(libpq(database_urls["notifications"])) as conn:
            notified = conn.execute(
                "SELECT event_id, min(created_at) FROM notifications WHERE event_id = ANY(%s) GROUP BY event_id",
                (list(events),)).fetchall()
        first_notice: dict[str, object] = {}
        for event_id, at in notified:
            application_id = events[event_id]
            first_notice[application_id] = min(at, first_notice.get(application_id, at))  # type: ignore[type-var]
        if len(tasks) == len(wanted) and len(first_notice) == len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return Latencies(
        task_ms=[(tasks[a] - submitted[a]).total_seconds() * 1000 for a in wanted if a in tasks],
        notification_ms=[(first_notice[a] - submitted[a]).total_seconds() * 1000  # type: ignore[operator]
                         for a in wanted if a in first_notice],
        submitted=len(wanted), failed=len(ids) - len(wanted),
    )
