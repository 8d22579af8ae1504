"""The distributed topology as real processes: gunicorn API per service, a worker per service, the gateway.

Configured only through the environment, as in production; PostgreSQL and RabbitMQ come from fixtures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from chassis.settings import DATABASE_OWNERS, SERVICES
from tests.support import wait
from tests.support.ports import free_port

MOBILITY = str(Path(sys.executable).parent / "mobility")


class Stack:
    def __init__(self, tmp: Path, amqp_url: str, pg_urls: dict[str, str], smtp_port: int) -> None:
        self.tmp = tmp
        self.ports = {owner: free_port() for owner in DATABASE_OWNERS}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOBILITY_")},
            "MOBILITY_VAR_DIR": str(tmp / "var"),
            "MOBILITY_BROKER_URL": amqp_url,
            "MOBILITY_SMTP_HOST": "127.0.0.1",
            "MOBILITY_SMTP_PORT": str(smtp_port),
            "MOBILITY_RETRY_DELAY_MS": "300",
            "MOBILITY_RELAY_SWEEP_SECONDS": "1",
            "MOBILITY_HEARTBEAT_SECONDS": "10",
            "MOBILITY_WEB_WORKERS": "1",
            "MOBILITY_LOG_LEVEL": "INFO",
            **{f"MOBILITY_{o.upper()}_DATABASE_URL": url for o, url in pg_urls.items()},
            **{f"MOBILITY_{s.upper()}_URL": f"http://127.0.0.1:{self.ports[s]}" for s in SERVICES},
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.gateway_url = f"http://127.0.0.1:{self.ports['gateway']}"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MOBILITY, *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )

    def prepare(self) -> None:
        for args in (("keys",), ("migrate",), ("declare",), ("seed-demo", "--empty")):
            result = self.cli(*args)
            assert result.returncode == 0, result.stderr

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            [MOBILITY, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_api(self, owner: str) -> None:
        self._spawn(f"api-{owner}", "serve", owner, "--bind", f"127.0.0.1:{self.ports[owner]}")

    def start_worker(self, owner: str) -> None:
        self._spawn(f"worker-{owner}", "worker", owner)

    def wait_ready(self, owner: str, timeout: float = 30) -> None:
        url = f"http://127.0.0.1:{self.ports[owner]}/readyz"

        def ready() -> bool:
            try:
                return requests.get(url, timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait.until(ready, timeout=timeout, what=f"{owner} ready")

    def start(self) -> Stack:
        self.prepare()
        for owner in DATABASE_OWNERS:
            self.start_worker(owner)
            self.start_api(owner)
        for owner in DATABASE_OWNERS:
            self.wait_ready(owner)
        return self

    @contextmanager
    def running(self) -> Iterator[Stack]:
        """Started for the block, stopped after it; on a failure to start, the processes' logs are printed."""
        try:
            yield self.start()
        except BaseException:
            print(self.logs())
            raise
        finally:
            self.stop()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self) -> None:
        processes = list(self.processes.values())
        self.processes.clear()
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def logs(self, tail: int | None = 4000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-(tail or 0):]}" for p in self.tmp.glob("*.log")
        )
