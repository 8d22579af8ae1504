"""PostgreSQL restarted under load: every owner's database on one private server (tests/support/pg_server.py),
stopped with `-m fast` and later with `-m immediate` (a crash, recovered from the WAL), each down for several
seconds, while applicants submit through the gateway and the relays and consumers work.

The applicants behave as a well-behaved API client: a step answered 503 (problem+json with Retry-After) is tried
again after a short wait; a submit whose answer was lost (a 503, then a 409) counts when the application shows as
submitted. Every other error status fails the test. The workload's applicants spend most of their time uploading,
so each restart also meets dedicated submitters: drafts made ready while the database is up, submitted one after
another from the moment it is down, so that every outage is shown to answer a *submit* with 503. Afterwards
nothing is lost, doubled or half-written, and the workers and relays resumed by themselves: no process is
restarted by the test.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

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
SUBMITTERS, DRAFTS = 2, 3  # per restart: threads submitting through the outage, and the drafts each has ready
DEDICATED = len(RESTARTS) * SUBMITTERS * DRAFTS

Draft = tuple[str, str, int]
"""(application id, applicant, its version): complete, ready to submit."""


class PatientClient:
    """Submits as a well-behaved client: a 503 is waited out (Retry-After, capped at 1 s here) and tried again.
    Records when each 503 came, to which step, for which application."""

    def __init__(self) -> None:
        self.unavailable: list[tuple[float, str, str]] = []  # (time.monotonic(), the step, the application or "")
        self.answers_lost: list[str] = []  # applications whose submit got through though its answer was a 503
        self.lock = threading.Lock()

    def _wait(self, step: str, r: requests.Response, application_id: str = "") -> None:
        """A 503 as a client may rely on it: problem+json with Retry-After; recorded, then waited out."""
        assert r.headers.get("Content-Type", "").startswith(PROBLEM), (step, r.headers, r.text)
        assert "Retry-After" in r.headers, (step, r.headers, r.text)
        with self.lock:
            self.unavailable.append((time.monotonic(), step, application_id))
        time.sleep(min(float(r.headers["Retry-After"]), 1.0))

    def _send(self, step: str, send: Callable[[], requests.Response], application_id: str = "") -> requests.Response:
        while (r := send()).status_code == 503:
            self._wait(step, r, application_id)
        return r

    def _status(self, gateway: Gateway, user: str, application_id: str) -> dict[str, Any]:
        r = self._send("read", lambda: gateway.call(user, "GET", f"/api/v1/applications/{application_id}"),
                       application_id)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def draft(self, shared: Gateway, n: int) -> Draft:
        """Applicant n % 3 makes and completes a student exchange, whatever the database does."""
        gateway = workload.thread_gateway(shared)
        user = list(APPLICANTS)[n % len(APPLICANTS)]
        body = copy.deepcopy(example("student_exchange"))
        r = self._send("create", lambda: gateway.call(user, "POST", "/api/v1/applications", body))
        assert r.status_code == 201, r.text  # a create whose answer was lost leaves a draft nobody submits
        application_id = r.json()["id"]
        for doc_type in kinds.get("student_exchange").required_documents:
            r = self._send("upload", lambda d=doc_type: gateway.call(
                user, "POST", f"/api/v1/applications/{application_id}/documents", data={"doc_type": d},
                files={"file": ("scan.pdf", PDF, "application/pdf")}), application_id)
            assert r.status_code == 201, r.text
        return application_id, user, self._status(gateway, user, application_id)["version"]

    def submit_draft(self, shared: Gateway, draft: Draft) -> Submitted:
        """The draft submitted, the same request again after each 503: if one got through though its answer was
        lost, the next is a 409 (the version moved on) and the application shows as submitted."""
        gateway = workload.thread_gateway(shared)
        application_id, user, version = draft
        at, refused = time.monotonic(), False
        while (r := gateway.call(user, "POST", f"/api/v1/applications/{application_id}/submit",
                                 headers={"If-Match": f'"{version}"'})).status_code == 503:
            self._wait("submit", r, application_id)
            refused = True
        if r.status_code == 409 and refused:  # done meanwhile: by the try whose answer was lost, or not at all
            assert self._status(gateway, user, application_id)["status"] != "draft", r.text
            with self.lock:
                self.answers_lost.append(application_id)
        else:
            assert r.status_code == 200, r.text
        return application_id, user, at, 200

    def submit(self, shared: Gateway, n: int) -> Submitted:
        """Applicant n % 3 makes, completes and submits a student exchange, whatever the database does."""
        return self.submit_draft(shared, self.draft(shared, n))

    def by_restart(self, restarts: list[tuple[str, float, float]]) -> dict[str | None, list[tuple[str, str]]]:
        """The 503s (step, application) in each outage, from the stop to SETTLE s after the server answered again
        (the latest outage that covers it); under None those outside every one."""
        found: dict[str | None, list[tuple[str, str]]] = {mode: [] for mode, _, _ in restarts}
        found[None] = []
        for at, step, application_id in self.unavailable:
            mode = next((m for m, lo, hi in reversed(restarts) if lo <= at <= hi + SETTLE), None)
            found[mode].append((step, application_id))
        return found


class Restarts(threading.Thread):
    """The restarts, a few seconds apart, while the workload runs. Before each, drafts made ready while the
    database is up; once it is down, SUBMITTERS threads submit them one after another through the outage."""

    def __init__(self, server: PgServer, client: PatientClient, gateway: Gateway) -> None:
        super().__init__(daemon=True)
        self.server, self.client, self.gateway = server, client, gateway
        self.stop = threading.Event()  # set when the test ends early: no restart after it
        self.submitted: list[Submitted] = []  # by the dedicated submitters
        self.error: BaseException | None = None

    def _submit_each(self, drafts: list[Draft]) -> list[Submitted]:
        return [self.client.submit_draft(self.gateway, draft) for draft in drafts]

    def _restart(self, mode: str, seconds: float, drafts: list[Draft]) -> None:
        with ThreadPoolExecutor(max_workers=SUBMITTERS) as pool:
            running: list[Future[list[Submitted]]] = []
            self.server.restart(mode, seconds, while_down=lambda: running.extend(
                pool.submit(self._submit_each, drafts[i::SUBMITTERS]) for i in range(SUBMITTERS)))
            for each in running:
                self.submitted += each.result()

    def run(self) -> None:
        try:
            for mode, seconds in RESTARTS:
                due = time.monotonic() + 6  # submissions under way, the relays and consumers busy with them
                drafts = [self.client.draft(self.gateway, n) for n in range(SUBMITTERS * DRAFTS)]  # database up
                self.stop.wait(max(due - time.monotonic(), 0))
                if self.stop.is_set():
                    return
                self._restart(mode, seconds, drafts)
            self.stop.wait(6)  # and some more after the last one
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc


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
    client = PatientClient()
    restarts = Restarts(server, client, gateway)
    restarts.start()
    submitted: list[Submitted] = []
    try:  # submitting all through the restarts, and at least N with the dedicated submitters' drafts
        submitted = workload.submit_during(gateway, restarts.is_alive, max(N - DEDICATED, 0), one=client.submit)
    finally:  # a failure here must not leave the server going down under the next steps
        restarts.stop.set()
        restarts.join(timeout=120)
    assert restarts.error is None, restarts.error
    assert [mode for mode, _, _ in server.restarts] == [mode for mode, _ in RESTARTS], server.restarts
    submitted += restarts.submitted
    ours = {a for a, _, _, _ in submitted}
    assert len(ours) == len(submitted) >= N, (len(ours), len(submitted))

    found = client.by_restart(server.restarts)
    outside = found.pop(None)
    per_step = {mode: dict(Counter(step for step, _ in found[mode])) for mode, _ in RESTARTS}
    refused = {mode: {a for step, a in found[mode] if step == "submit"} for mode, _ in RESTARTS}
    steps = dict(Counter(step for _, step, _ in client.unavailable))
    print(f"{len(submitted)} applications; 503s per restart and step: {per_step}; outside: {len(outside)}; "
          f"submits answered 503: { {m: len(a) for m, a in refused.items()} }; "
          f"submits whose answer was lost: {len(client.answers_lost)}")
    assert all(refused.values()), f"a restart no submit ran into: {per_step}; the test proved less than it says"
    assert set().union(*refused.values()) <= ours  # so the checker sees each submitted exactly once
    assert outside == [], f"{len(outside)} 503s outside the restarts (+{SETTLE:.0f} s): a pool that did not recover"
    urls = workload.pg_urls(stack)
    half_written = workload.scalar(
        urls["applications"], "SELECT count(*) FROM outbox o JOIN applications a ON a.id = o.subject "
                              "WHERE a.status = 'draft'")
    assert half_written == 0, "a draft announced: a submit half written"

    workload.approve_all(stack, gateway, ours)
    expected = workload.expected_of(submitted)
    done = ", ".join(f"-m {mode} (down {seconds:.0f} s)" for mode, seconds in RESTARTS)
    report = workload.final_check(
        stack, expected, "database-restart",
        f"PostgreSQL (every owner's database on one server) restarted twice: {done}\n{len(submitted)} applications, "
        f"503s per restart and step: {per_step} (each tried again by the client; in all: {steps}; "
        f"submits answered 503 per restart: { {m: len(a) for m, a in refused.items()} } applications, each "
        f"submitted once; {len(client.answers_lost)} submits got through though answered 503), "
        f"in {time.monotonic() - started:.0f} s")
    assert report.clean
    exited = {name: p.returncode for name, p in stack.processes.items() if p.poll() is not None}
    assert exited == {}, f"processes that exited (none is restarted by the test): {exited}"

    workload.plant_faults(urls, sorted(ours)[0])
    workload.assert_planted_reported(urls, expected)
