"""The Jepsen-style run: hundreds of applications submitted and reviewed through the gateway on the
distributed topology while RabbitMQ is stopped twice, workers are SIGKILLed, a relay dies between publish
and mark, and a worker's database connection is cut. Meanwhile a few applications are approved at once and
followed after approval: their mobility records appear from the approval, and the workload ticks the checklist,
confirms the departure and (every other one) the return through the gateway. The checker then reads every
service's tables: nothing lost, nothing duplicated, nothing unexpected; and the HTTP side kept accepting
submissions while the broker was down.

Submissions go on while the faults happen, and until at least MOBILITY_FAULT_APPLICATIONS (300 by default)
were made.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from tests.conftest import rabbitmqctl
from tests.fault.conftest import table_locked, wait_for_blocked
from tests.support import checker, wait, workload
from tests.support.api import Gateway
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack
from tests.support.workload import APPLICANTS, REVIEWERS, libpq

N = int(os.environ.get("MOBILITY_FAULT_APPLICATIONS", "300"))
FOLLOWED = 6  # applications approved during the faults and followed after approval (a few seconds more)
CHECKLIST = ("insurance", "visa", "safety_briefing")  # a student's, ticked before the departure


class Faults(threading.Thread):
    """The faults, one after another, while the workload runs; records when the broker was down."""

    def __init__(self, stack: Stack, gateway: Gateway) -> None:
        super().__init__(daemon=True)
        self.stack, self.gateway = stack, gateway
        self.submitted: list[tuple[str, str, float, int]] = []  # the ones the relay fault submits itself
        self.stop = threading.Event()  # set when the test ends early: no fault after it
        self.finished_at: float | None = None
        self.broker_down: list[tuple[float, float]] = []
        self.done: list[str] = []
        self.error: BaseException | None = None

    def _broker_outage(self, seconds: float) -> None:
        rabbitmqctl("stop_app")
        start = time.monotonic()  # down from here ...
        self.stop.wait(seconds)
        self.broker_down.append((start, time.monotonic()))  # ... to here
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
        self.done.append(f"broker down {seconds:.0f} s")

    def _sigkill(self, owner: str) -> None:
        self.stack.kill(f"worker-{owner}")
        self.stop.wait(1)
        self.stack.start_worker(owner)
        self.done.append(f"SIGKILL worker-{owner}")

    def _relay_killed_between_publish_and_mark(self) -> None:
        url = self.stack.env["MOBILITY_APPLICATIONS_DATABASE_URL"]
        self.stack.kill("worker-applications")
        self.submitted.append(workload.submit(self.gateway, 0))  # so that the relay has a row to publish
        # SHARE lets the relay claim and publish rows but blocks its UPDATE ... SET sent_at; it also holds
        # submissions back for these few seconds (they wait, they do not fail).
        with table_locked(url, "outbox", "SHARE"):
            self.stack.start_worker("applications")
            wait_for_blocked(url, "UPDATE outbox")
            self.stack.kill("worker-applications")
        self.stack.start_worker("applications")
        self.done.append("relay killed between publish and mark")

    def _cut_database_connection(self, owner: str) -> None:
        url = self.stack.env[f"MOBILITY_{owner.upper()}_DATABASE_URL"]
        with psycopg.connect(libpq(url), autocommit=True) as conn:
            cut = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
        assert cut and cut[0] > 0, f"no connection to the {owner} database to cut"
        self.done.append(f"cut {cut[0]} connection(s) to the {owner} database")

    def run(self) -> None:
        steps = [
            lambda: self._broker_outage(8),
            lambda: self._sigkill("mobilities"),  # while the followed approvals are making its records
            lambda: self._sigkill("reviews"),
            self._relay_killed_between_publish_and_mark,
            lambda: self._cut_database_connection("reviews"),
            lambda: self._sigkill("notifications"),
            lambda: self._broker_outage(8),
            lambda: self._sigkill("applications"),
        ]
        try:
            self.stop.wait(3)
            for step in steps:
                if self.stop.is_set():
                    return
                step()
                self.stop.wait(2)
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc
        finally:
            self.finished_at = time.monotonic()


class Lifecycle(threading.Thread):
    """A few applications of the workload, submitted, approved at their three levels and followed after
    approval while the faults happen: their mobility records appear from the approval; the applicant ticks the
    checklist and confirms the departure and, for every other one, the return. `steps` says what was done, for
    the checker. A call cut by a fault is tried again; a step that answers 409 counts as done when the record
    shows it (the first try got through before its answer was lost)."""

    def __init__(self, gateway: Gateway, timeout: float = 300) -> None:
        super().__init__(daemon=True)
        self.gateway, self.timeout = gateway, timeout
        self.submitted: list[tuple[str, str, float, int]] = []
        self.steps: dict[str, list[str]] = {}  # application id → the steps taken, in order
        self.error: BaseException | None = None

    def _call(self, user: str, method: str, path: str, body: Any = None) -> requests.Response | None:
        try:
            return self.gateway.call(user, method, path, body)
        except requests.RequestException:
            return None  # tried again by the caller's loop

    def _until(self, check: Callable[[], Any], what: str) -> Any:
        return wait.until(check, timeout=self.timeout, interval=1, what=what)  # light beside the submissions

    def _approve(self, applications: dict[str, str]) -> None:
        """Decide every open task of these applications, as their reviewers, until all are approved."""
        waiting = dict(applications)

        def approved() -> bool:
            for application_id, user in list(waiting.items()):
                for level, reviewer in REVIEWERS[APPLICANTS[user]].items():
                    tasks = self._call(reviewer, "GET", f"/api/v1/review-tasks?application_id={application_id}")
                    for task in tasks.json() if tasks is not None and tasks.status_code == 200 else []:
                        if str(task["level"]) == level and task["status"] in ("open", "claimed"):
                            # 409 (decided meanwhile) or a call cut by a fault: the next pass sees which
                            self._call(reviewer, "POST", f"/api/v1/review-tasks/{task['id']}/decision", {
                                "outcome": "approve", "comment": "OK",
                                "application_version": task["application_version"]})
                shown = self._call(user, "GET", f"/api/v1/applications/{application_id}")
                if shown is not None and shown.status_code == 200 and shown.json()["status"] == "approved":
                    del waiting[application_id]
            return not waiting

        self._until(approved, "the followed applications approved")

    def _record(self, user: str, application_id: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            r = self._call(user, "GET", f"/api/v1/mobilities?application_id={application_id}")
            items = r.json()["items"] if r is not None and r.status_code == 200 else []
            return items[0] if items else None

        return self._until(found, f"the mobility record of {application_id}")  # type: ignore[no-any-return]

    def _step(self, user: str, record_id: str, path: str, body: dict[str, Any],
              done: Callable[[dict[str, Any]], bool]) -> None:
        def taken() -> bool:
            r = self._call(user, "POST", f"/api/v1/mobilities/{record_id}{path}", body)
            if r is not None and r.status_code == 200:
                return True
            if r is not None and r.status_code == 409:  # done already, or not yet possible: the record says
                shown = self._call(user, "GET", f"/api/v1/mobilities/{record_id}")
                return shown is not None and shown.status_code == 200 and done(shown.json())
            return False

        self._until(taken, f"{path} of {record_id}")

    def run(self) -> None:
        try:
            self.submitted = [workload.submit(self.gateway, n) for n in range(FOLLOWED)]
            followed = {a: user for a, user, _, status in self.submitted if status == 200}
            self._approve(followed)
            today = datetime.now(UTC).date()  # the service's calendar day is this one or the next
            for n, (application_id, user) in enumerate(followed.items()):
                record = self._record(user, application_id)
                steps = self.steps.setdefault(application_id, [])
                for item in CHECKLIST:
                    self._step(user, record["id"], f"/checklist/{item}", {"done": True},
                               lambda r, i=item: any(c["item"] == i and c["done"] for c in r["checklist"]))
                self._step(user, record["id"], "/departure", {"date": str(today - timedelta(days=2))},
                           lambda r: r["status"] != "planned")
                steps.append("departure")
                if n % 2 == 0:
                    self._step(user, record["id"], "/return", {"date": str(today - timedelta(days=1))},
                               lambda r: r["status"] == "returned")
                    steps.append("return")
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc


@pytest.fixture
def patient_stack(tmp_path: Path, amqp_url: str, pg_urls: dict[str, str], smtp: SmtpSink) -> Iterator[Stack]:
    with workload.running(Stack(tmp_path, amqp_url, pg_urls, smtp.port)) as stack:
        yield stack


@pytest.mark.timeout(1800)  # hundreds of applications and seven faults on a two-core machine
def test_nothing_lost_nothing_doubled_under_faults(patient_stack: Stack) -> None:
    stack = patient_stack
    gateway = workload.signed_in(stack)
    faults = Faults(stack, Gateway(stack.gateway_url, timeout=60))
    faults.gateway.tokens = gateway.tokens
    lifecycle = Lifecycle(Gateway(stack.gateway_url, timeout=60))
    lifecycle.gateway.tokens = gateway.tokens
    faults.start()
    lifecycle.start()
    submitted: list[workload.Submitted] = []
    try:  # submitting all through the faults, and at least N
        submitted = workload.submit_during(gateway, faults.is_alive, N)
    finally:  # a failure here must not leave faults running into the next test
        faults.stop.set()
        faults.join(timeout=300)
        lifecycle.join(timeout=lifecycle.timeout)
    assert faults.error is None, faults.error
    assert lifecycle.error is None, lifecycle.error
    submitted += faults.submitted + lifecycle.submitted
    assert len(faults.done) == 8, faults.done
    followed = {a: steps for a, steps in lifecycle.steps.items() if steps}
    assert len(followed) == FOLLOWED, lifecycle.steps

    during_outage = workload.accepted_during(submitted, faults.broker_down)
    print(f"faults: {faults.done}; {len(submitted)} applications submitted, {len(during_outage)} of them while "
          f"the broker was down; {len(followed)} followed after approval: {sorted(followed.values())}")

    workload.approve_all(stack, gateway, {a for a, _, _, _ in submitted})
    report = workload.final_check(
        stack, workload.expected_of(submitted, followed), "workload",
        f"{faults.done}\n{len(submitted)} applications, {len(during_outage)} submitted while the broker was down, "
        f"{len(followed)} followed after approval")
    assert report.clean
    assert len(during_outage) > 0, "no submission fell inside a broker outage; the test proved less than it says"


def test_the_checker_reports_duplicates_and_losses(stack: Stack, gateway: Gateway) -> None:
    """The checker can fail: after a clean small run, a duplicated task and a lost feed entry are reported."""
    application = gateway.apply_and_submit("alice")
    for level, reviewer in REVIEWERS["cs"].items():
        task = wait.until(lambda r=reviewer, lv=int(level): [
            t for t in gateway.call(r, "GET", f"/api/v1/review-tasks?application_id={application['id']}").json()
            if t["level"] == lv], what=f"level {level}")[0]
        assert gateway.call(reviewer, "POST", f"/api/v1/review-tasks/{task['id']}/decision", {
            "outcome": "approve", "comment": "OK", "application_version": task["application_version"]}
        ).status_code == 201
    pg_urls = workload.pg_urls(stack)
    expected = {application["id"]: {"applicant": "alice", "reviewers": REVIEWERS["cs"], "steps": []}}
    wait.until(lambda: checker.check(pg_urls, expected).clean, timeout=60, what="a clean history")

    workload.plant_faults(pg_urls, application["id"])
    workload.assert_planted_reported(pg_urls, expected)
