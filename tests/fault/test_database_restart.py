"""PostgreSQL restarted under load: every owner's database on one private server (tests/support/pg_server.py),
stopped with `-m fast` and later with `-m immediate` (a crash, recovered from the WAL), each down for several
seconds, while applicants submit through the gateway and the relays and consumers work.

The applicants behave as a well-behaved API client: a step answered 503 (problem+json with Retry-After) is tried
again after a short wait; a submit whose answer was lost (a 503, then a 409) counts when the application shows as
submitted. Every other error status fails the test. Afterwards nothing is lost, doubled or half-written, and the
workers and relays resumed by themselves: no process is restarted by the test.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from chassis.errors import PROBLEM
from chassis.settings import DATABASE_OWNERS
from services.applications import kinds
from tests.support import workload
from tests.support.api import PDF, Gateway, example
from tests.support.pg_server import PgServer
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack
from tests.support.workload import APPLICANTS, Submitted

N = int(os.environ.get("MOBILITY_FAULT_APPLICATIONS", "300"))
RESTARTS = (("fast", 8.0), ("immediate", 8.0))  # (pg_ctl stop mode, seconds down)
SETTLE = 15.0  # after the server answers again, a pool may still hand out a connection from before: a 503 or two


class Restarts(threading.Thread):
    """The restarts, a few seconds apart, while the workload runs."""

    def __init__(self, server: PgServer) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()  # set when the test ends early: no restart after it
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for mode, seconds in RESTARTS:
                self.stop.wait(6)  # submissions under way, the relays and consumers busy with them
                if self.stop.is_set():
                    return
                self.server.restart(mode, seconds)
            self.stop.wait(6)  # and some more after the last one
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc


class PatientClient:
    """Submits as a well-behaved client: a 503 is waited out (Retry-After, capped at 1 s here) and tried again.
    Records when each 503 came."""

    def __init__(self) -> None:
        self.unavailable: list[tuple[float, str]] = []  # (time.monotonic(), the step)
        self.answers_lost: list[str] = []  # applications whose submit got through though its answer was a 503
        self.lock = threading.Lock()

    def _wait(self, step: str, r: requests.Response) -> None:
        """A 503 as a client may rely on it: problem+json with Retry-After; recorded, then waited out."""
        assert r.headers.get("Content-Type", "").startswith(PROBLEM), (step, r.headers, r.text)
        assert "Retry-After" in r.headers, (step, r.headers, r.text)
        with self.lock:
            self.unavailable.append((time.monotonic(), step))
        time.sleep(min(float(r.headers["Retry-After"]), 1.0))

    def _send(self, step: str, send: Callable[[], requests.Response]) -> requests.Response:
        while (r := send()).status_code == 503:
            self._wait(step, r)
        return r

    def _status(self, gateway: Gateway, user: str, application_id: str) -> dict[str, object]:
        r = self._send("read", lambda: gateway.call(user, "GET", f"/api/v1/applications/{application_id}"))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def submit(self, shared: Gateway, n: int) -> Submitted:
        """Applicant n % 3 makes, completes and submits a student exchange, whatever the database does."""
        gateway = workload.thread_gateway(shared)
        user = list(APPLICANTS)[n % len(APPLICANTS)]
        body = copy.deepcopy(example("student_exchange"))
        r = self._send("create", lambda: gateway.call(user, "POST", "/api/v1/applications", body))
        assert r.status_code == 201, r.text  # a create whose answer was lost leaves a draft nobody submits
        application_id = r.json()["id"]
        for doc_type in kinds.get("student_exchange").required_documents:
            r = self._send("upload", lambda d=doc_type: gateway.call(
                user, "POST", f"/api/v1/applications/{application_id}/documents", data={"doc_type": d},
                files={"file": ("scan.pdf", PDF, "application/pdf")}))
            assert r.status_code == 201, r.text
        at, lost = time.monotonic(), False
        while True:
            shown = self._status(gateway, user, application_id)
            if lost and shown["status"] != "draft":  # the first try got through, its answer did not
                self.answers_lost.append(application_id)
                return application_id, user, at, 200
            r = gateway.call(user, "POST", f"/api/v1/applications/{application_id}/submit",
                             headers={"If-Match": f'"{shown["version"]}"'})
            if r.status_code != 503:
                break
            self._wait("submit", r)
            lost = True
        if r.status_code == 409 and lost:  # done meanwhile: by the try whose answer was lost, or not at all
            assert self._status(gateway, user, application_id)["status"] != "draft", r.text
            self.answers_lost.append(application_id)
        else:
            assert r.status_code == 200, r.text
        return application_id, user, at, 200

    def per_restart(self, restarts: list[tuple[str, float, float]]) -> tuple[dict[str, int], list[float]]:
        """503s in each outage (from the stop to SETTLE s after the server answered again), and the times of any
        outside them."""
        counts = {mode: 0 for mode, _, _ in restarts}
        outside = []
        for at, _ in self.unavailable:
            mode = next((m for m, lo, hi in reversed(restarts) if lo <= at <= hi + SETTLE), None)  # the latest
            if mode is None:
                outside.append(at)
            else:
                counts[mode] += 1
        return counts, outside


@pytest.fixture
def server() -> Iterator[PgServer]:
    with PgServer() as server:
        yield server


@pytest.fixture
def patient_stack(tmp_path: Path, amqp_url: str, server: PgServer, smtp: SmtpSink) -> Iterator[Stack]:
    urls = server.create_databases(list(DATABASE_OWNERS))
    with workload.running(Stack(tmp_path, amqp_url, urls, smtp.port)) as stack:
        yield stack


@pytest.mark.timeout(1800)  # hundreds of applications, two restarts, on a two-core machine
def test_postgresql_restarted_under_load(patient_stack: Stack, server: PgServer) -> None:
    stack, started = patient_stack, time.monotonic()
    gateway = workload.signed_in(stack)
    client, restarts = PatientClient(), Restarts(server)
    restarts.start()
    submitted: list[Submitted] = []
    try:  # submitting all through the restarts, and at least N
        submitted = workload.submit_during(gateway, restarts.is_alive, N, one=client.submit)
    finally:  # a failure here must not leave the server going down under the next steps
        restarts.stop.set()
        restarts.join(timeout=120)
    assert restarts.error is None, restarts.error
    assert [mode for mode, _, _ in server.restarts] == [mode for mode, _ in RESTARTS], server.restarts

    counts, outside = client.per_restart(server.restarts)
    steps = dict(Counter(step for _, step in client.unavailable))
    print(f"{len(submitted)} applications; 503s per restart: {counts}; outside: {len(outside)}; "
          f"steps answered 503: {steps}; submits whose answer was lost: {len(client.answers_lost)}")
    assert all(counts.values()), f"a restart no request ran into: {counts}; the test proved less than it says"
    assert outside == [], f"{len(outside)} 503s outside the restarts (+{SETTLE:.0f} s): a pool that did not recover"
    urls = workload.pg_urls(stack)
    half_written = workload.scalar(
        urls["applications"], "SELECT count(*) FROM outbox o JOIN applications a ON a.id = o.subject "
                              "WHERE a.status = 'draft'")
    assert half_written == 0, "a draft announced: a submit half written"

    ours = {a for a, _, _, _ in submitted}
    workload.approve_all(stack, gateway, ours)
    expected = workload.expected_of(submitted)
    done = ", ".join(f"-m {mode} (down {seconds:.0f} s)" for mode, seconds in RESTARTS)
    report = workload.final_check(
        stack, expected, "database-restart",
        f"PostgreSQL (every owner's database on one server) restarted twice: {done}\n{len(submitted)} applications, "
        f"503s per restart: {counts} (each tried again by the client; steps answered 503: {steps}; "
        f"{len(client.answers_lost)} submits got through though answered 503), "
        f"in {time.monotonic() - started:.0f} s")
    assert report.clean
    exited = {name: p.returncode for name, p in stack.processes.items() if p.poll() is not None}
    assert exited == {}, f"processes that exited (none is restarted by the test): {exited}"

    workload.plant_faults(urls, sorted(ours)[0])
    workload.assert_planted_reported(urls, expected)
