"""The distributed topology under test, started the way an operator starts it: `mobility up --demo`
(gunicorn API + worker per service, the gateway; PostgreSQL and RabbitMQ), configured by the environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import requests

from bench.environment import free_port, free_ports
from chassis.settings import DATABASE_OWNERS, SERVICES

MOBILITY = [sys.executable, "-m", "mobility"]


class Stack:
    def __init__(self, workdir: Path, broker_url: str, database_urls: dict[str, str], smtp_port: int) -> None:
        self.workdir = workdir
        self.ports = {owner: free_port() for owner in ("gateway", *SERVICES)}
        self.url = f"http://127.0.0.1:{self.ports['gateway']}"
        self.metrics_port = free_ports(len(DATABASE_OWNERS))  # `up` gives worker i the port base + i
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOBILITY_")},
            "MOBILITY_VAR_DIR": str(workdir / "var"),
            "MOBILITY_BROKER_URL": broker_url,
            "MOBILITY_SMTP_HOST": "127.0.0.1",
            "MOBILITY_SMTP_PORT": str(smtp_port),
            # One user submits thousands of applications here; the per-user window would stop the load.
            "MOBILITY_RATE_LIMIT_SUBMIT": "100000000/hour",
            "MOBILITY_RATE_LIMIT_LOGIN": "100000/minute",
            **{f"MOBILITY_{o.upper()}_DATABASE_URL": database_urls[o] for o in ("gateway", *SERVICES)},
            **{f"MOBILITY_{s.upper()}_URL": f"http://127.0.0.1:{self.ports[s]}" for s in SERVICES},
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> Stack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "stack.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [*MOBILITY, "up", "--demo", "--port", str(self.ports["gateway"]),
             "--metrics-port", str(self.metrics_port)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        ready = [f"http://127.0.0.1:{port}/readyz" for port in self.ports.values()] + self.worker_metrics()
        for url in ready:
            while not self._ready(url):
                if self.process.poll() is not None:
                    raise RuntimeError(f"mobility up exited with {self.process.returncode}:\n{self.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack did not become ready in {timeout} s:\n{self.log_tail()}")
                time.sleep(0.3)
        return self

    def worker_metrics(self) -> list[str]:
        """Every event worker's /metrics, where its consumer's and relay's counters are."""
        return [f"http://127.0.0.1:{self.metrics_port + i}/metrics" for i in range(len(DATABASE_OWNERS))]

    @staticmethod
    def _ready(url: str) -> bool:
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def token(self, username: str, password: str = "demo") -> str:
        r = requests.post(f"{self.url}/api/v1/auth/token", json={"username": username, "password": password},
                          timeout=10)
        r.raise_for_status()
        return str(r.json()["access_token"])

    def processes(self) -> dict[int, str]:
        """Every process of the system by pid, named by its role: `api applications #2`, `worker reviews`..."""
        if self.process is None:
            return {}
        return named_processes(psutil.Process(self.process.pid))

    def workers(self) -> list[int]:
        return [pid for pid, name in self.processes().items() if name.startswith("worker")]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # `up` stops the gateway, the APIs, then the workers
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, chars: int = 4000) -> str:
        path = self.workdir / "stack.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def named_processes(root: psutil.Process) -> dict[int, str]:
    """`mobility serve X` is gunicorn's master, its children the workers; `mobility worker X` is one process."""
    names: dict[int, str] = {}
    try:
        children = root.children()
    except psutil.NoSuchProcess:
        return names
    for child in children:
        try:
            args = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if "serve" in args:
            owner = args[args.index("serve") + 1]
            names[child.pid] = f"api {owner} (master)"
            try:
                for n, worker in enumerate(sorted(child.children(), key=lambda p: p.pid), 1):
                    names[worker.pid] = f"api {owner} #{n}"
            except psutil.NoSuchProcess:
                pass
        elif "worker" in args:
            names[child.pid] = f"worker {args[args.index('worker') + 1]}"
    return names


@contextmanager
def paused(pids: list[int]) -> Iterator[None]:
    """SIGSTOP the given processes for the block (the event workers, so that a request-path measurement
    gets the CPU the floor gets); SIGCONT after, when they catch up on what was written meanwhile."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
