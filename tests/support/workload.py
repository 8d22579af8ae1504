"""The fault suite's workload, shared by its runs (a broker paused, a cluster's nodes killed, PostgreSQL
restarted): applicants submit student exchanges through the gateway while something breaks, the reviewers
approve every one, and the history checker (tests/support/checker.py) reads every service's tables.

Each run writes its table to var/reports/fault-<name>.txt; .ci/run prints them after the tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from chassis.owners import OWNERS
from chassis.settings import DATABASE_OWNERS
from eventbus import topology
from eventbus.broker import open_connection
from tests.support import checker, wait
from tests.support.api import Gateway
from tests.support.stack import Stack

REPORTS = Path("var/reports")
APPLICANTS = {"alice": "cs", "bob": "cs", "chen": "me"}
REVIEWERS = {"cs": {"1": "coord.cs", "2": "dean.cs", "3": "icd.officer"},
             "me": {"1": "coord.me", "2": "dean.me", "3": "icd.officer"}}
USERS = [*APPLICANTS, "coord.cs", "coord.me", "dean.cs", "dean.me", "icd.officer"]

Submitted = tuple[str, str, float, int]
"""(application id, applicant, when the submit was sent (time.monotonic()), the submit's HTTP status)."""

_local = threading.local()


def patient(stack: Stack) -> Stack:
    """A gateway that waits up to 30 s for a service (a fault may hold a request back for a few seconds, which
    must slow it, not fail it) and no rate limits (three applicants file hundreds: not what the limits are for)."""
    stack.env["MOBILITY_UPSTREAM_TIMEOUT"] = "30"
    for limit in ("LOGIN", "SUBMIT", "UPLOAD"):
        stack.env[f"MOBILITY_RATE_LIMIT_{limit}"] = "1000000/hour"
    return stack


def signed_in(stack: Stack) -> Gateway:
    gateway = Gateway(stack.gateway_url, timeout=60)
    for user in USERS:
        gateway.login(user)
    return gateway


def thread_gateway(shared: Gateway) -> Gateway:
    """One HTTP session per thread, the tokens shared."""
    if getattr(_local, "base_url", None) != shared.base_url:
        _local.gateway = Gateway(shared.base_url, timeout=shared.timeout)
        _local.base_url = shared.base_url
    _local.gateway.tokens = shared.tokens
    return _local.gateway  # type: ignore[no-any-return]


def submit(shared: Gateway, n: int) -> Submitted:
    """Applicant n % 3 makes, completes and submits a student exchange."""
    gateway = thread_gateway(shared)
    user = list(APPLICANTS)[n % len(APPLICANTS)]
    application = gateway.apply(user)
    gateway.upload_required(user, application)
    at = time.monotonic()
    status = gateway.submit(user, application["id"]).status_code
    return application["id"], user, at, status


def submit_during(shared: Gateway, busy: Callable[[], bool], at_least: int,
                  one: Callable[[Gateway, int], Submitted] = submit, threads: int = 6) -> list[Submitted]:
    """Submissions on `threads` threads while `busy()` (the faults go on), and until at least `at_least` were made."""
    submitted: list[Submitted] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while busy() or len(submitted) < at_least:
            start = len(submitted)
            submitted += pool.map(lambda n: one(shared, n), range(start, start + threads))
    return submitted


def accepted_during(submitted: list[Submitted], windows: list[tuple[float, float]]) -> list[str]:
    """Every submission accepted (200); returns those sent inside one of the windows (a fault's)."""
    refused = [(a, status) for a, _, _, status in submitted if status != 200]
    assert refused == [], f"submissions refused: {refused[:5]}"
    return [a for a, _, at, _ in submitted if any(lo <= at <= hi for lo, hi in windows)]


def _review_pass(gateway: Gateway, ours: set[str]) -> int:
    decided = 0
    for reviewer in ("coord.cs", "coord.me", "dean.cs", "dean.me", "icd.officer"):
        queue = gateway.call(reviewer, "GET", "/api/v1/review-tasks")
        assert queue.status_code == 200, queue.text
        for task in queue.json():
            if task["application_id"] not in ours:
                continue
            r = gateway.call(reviewer, "POST", f"/api/v1/review-tasks/{task['id']}/decision", {
                "outcome": "approve", "comment": "OK", "application_version": task["application_version"]})
            assert r.status_code in (201, 409), r.text  # 409: decided meanwhile (a redelivered task view)
            decided += r.status_code == 201
    return decided


def approve_all(stack: Stack, gateway: Gateway, ours: set[str], timeout: float = 600) -> None:
    """Every level of every application in `ours` approved, by its reviewers, through the gateway."""
    deadline = time.monotonic() + timeout
    while True:
        decided = _review_pass(gateway, ours)
        approved = scalar(stack.env["MOBILITY_APPLICATIONS_DATABASE_URL"],
                          "SELECT count(*) FROM applications WHERE status = 'approved' AND id = ANY(%s)", list(ours))
        if approved == len(ours):
            return
        assert time.monotonic() < deadline, f"{approved} of {len(ours)} approved"
        if not decided:
            time.sleep(1)


def pg_urls(stack: Stack) -> dict[str, str]:
    return {o: stack.env[f"MOBILITY_{o.upper()}_DATABASE_URL"] for o in DATABASE_OWNERS}


def parked(broker_url: str) -> int:
    """Messages in every consuming service's dead-letter queue."""
    total = 0
    with open_connection(broker_url) as connection:
        for owner in (name for name, o in OWNERS.items() if o.consumes):
            channel = connection.channel()
            try:
                total += channel.queue_declare(topology.names(owner).dlq, passive=True).message_count
            finally:
                channel.close()
    return total


def final_check(stack: Stack, expected: dict[str, dict[str, Any]], name: str, headline: str) -> checker.Report:
    """After the last decision: every outbox drained, then the history clean (within two minutes each). The
    report (headline, then the checker's table) goes to var/reports/fault-<name>.txt, clean or not."""
    urls = pg_urls(stack)
    wait.until(lambda: all(scalar(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
                           for url in urls.values()),
               timeout=120, what="every outbox drained (within 120 s of the last decision)")

    def clean() -> checker.Report | None:
        report = checker.check(urls, expected, parked=parked(stack.env["MOBILITY_BROKER_URL"]))
        return report if report.clean else None

    try:
        wait.until(clean, timeout=120, what="a clean history")
    finally:
        report = checker.check(urls, expected, parked=parked(stack.env["MOBILITY_BROKER_URL"]))
        summary = f"{headline}\n{report.table()}\n"
        print("\n" + summary)
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"fault-{name}.txt").write_text(summary)
    return report


def expected_of(submitted: list[Submitted], steps: dict[str, list[str]] | None = None) -> dict[str, dict[str, Any]]:
    """What the checker expects of these (accepted) submissions."""
    return {a: {"applicant": u, "reviewers": REVIEWERS[APPLICANTS[u]], "steps": (steps or {}).get(a, [])}
            for a, u, _, _ in submitted}


def plant_faults(urls: dict[str, str], application_id: str) -> None:
    """Break an approved application's history the way a missing deduplication would: a second level-1 task
    and a second approval in the history, a second mobility record for the one traveller (without its events),
    a record for an application never approved, and an event that never reached the feed. `planted_reported`
    says whether the checker saw each."""
    with psycopg.connect(libpq(urls["reviews"]), autocommit=True) as conn:
        columns = ("application_id, application_version, kind, program_id, title, applicant, level, role, school, "
                   "status, claimed_by, due_at, created_at, decided_at, outcome, overdue_notified_on, escalated_at")
        # A round that never happened, so the copy passes the one-task-per-round-and-level constraint.
        conn.execute(f"INSERT INTO review_tasks (id, round, {columns}) "
                     f"SELECT gen_random_uuid()::text, round + 1000, {columns} "
                     "FROM review_tasks WHERE application_id = %s AND level = 1", (application_id,))
    with psycopg.connect(libpq(urls["applications"]), autocommit=True) as conn:
        conn.execute("INSERT INTO application_history (application_id, at, actor, from_status, to_status, version, "
                     "comment) SELECT application_id, at, actor, from_status, to_status, version, comment "
                     "FROM application_history WHERE application_id = %s AND to_status = 'approved'",
                     (application_id,))
    with psycopg.connect(libpq(urls["notifications"]), autocommit=True) as conn:
        conn.execute("DELETE FROM feed WHERE event_type = 'review.completed' AND subject = %s", (application_id,))
    with psycopg.connect(libpq(urls["mobilities"]), autocommit=True) as conn:
        columns = ("kind, category, school, owner, owner_name, person_name, staff_number, role, title, status, "
                   "planned_start, planned_end, approved_end, checklist, steps, application_revision, version, "
                   "created_at, updated_at")
        conn.execute(f"INSERT INTO mobilities (id, application_id, position, {columns}) "
                     f"SELECT gen_random_uuid()::text, application_id, position + 1, {columns} FROM mobilities "
                     "WHERE application_id = %s", (application_id,))
        conn.execute(f"INSERT INTO mobilities (id, application_id, position, {columns}) "
                     f"SELECT gen_random_uuid()::text, gen_random_uuid()::text, 0, {columns} FROM mobilities "
                     "WHERE application_id = %s AND position = 0", (application_id,))


PLANTED = {("mobilities", "duplicated"): 1, ("mobility events", "lost"): 1,  # the copy announced nothing
           ("mobilities", "unexpected"): 1, ("review tasks", "duplicated"): 1, ("history", "duplicated"): 1,
           ("feed", "lost"): 1}


def assert_planted_reported(urls: dict[str, str], expected: dict[str, dict[str, Any]]) -> None:
    """After plant_faults: the checker reports exactly the planted faults."""
    report = checker.check(urls, expected)
    print("\n" + report.table())
    assert {key: n for key, n in report.counts.items() if n} == PLANTED, report.table()
    assert not report.clean


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def scalar(database_url: str, sql: str, *params: object) -> object:
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


@contextmanager
def running(stack: Stack) -> Iterator[Stack]:
    """Started for the block (patient), stopped after it."""
    with patient(stack).running() as started:
        yield started
