"""`mobility up`: the distributed topology on this machine, without Docker.

Migrations, keys and queues first; then, per owner, the worker and the gunicorn API, each a process of its
own (the same commands a container runs). Ctrl-C or SIGTERM stops them in order: the gateway first (no new
requests), then the APIs, then the workers, so that what was accepted is relayed before they go. If one
process dies, everything stops and `up` exits non-zero, rather than running half a system.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import structlog

from chassis import tokens
from chassis.settings import DATABASE_OWNERS, SERVICES, Settings
from eventbus.broker import open_connection
from mobility import migrations, registry

log = structlog.get_logger(__name__)
MOBILITY = [sys.executable, "-m", "mobility"]
STOP_ORDER = ("gateway", *SERVICES)  # APIs in this order, then workers in this order


class Up:
    def __init__(self, settings: Settings, host: str, port: int, metrics_port: int, seed_demo: bool) -> None:
        if settings.broker_url.startswith("memory://"):
            raise SystemExit("mobility up runs separate processes: set MOBILITY_BROKER_URL to RabbitMQ "
                             "(amqp://...); `mobility run` is the one-process system")
        self.settings, self.host, self.port = settings, host, port
        self.metrics_port, self.seed_demo = metrics_port, seed_demo
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()

    def prepare(self) -> None:
        s = self.settings
        assert s.jwt_private_key_file and s.jwt_public_key_file
        tokens.ensure_keypair(s.jwt_private_key_file, s.jwt_public_key_file)
        migrations.upgrade(s)
        with open_connection(s.broker_url, rounds=3) as connection:
            registry.declare_topology(connection, s)
        if self.seed_demo:
            subprocess.run([*MOBILITY, "seed-demo", "--alone"], check=True)  # nothing of ours runs yet

    def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        # A session of its own: Ctrl-C reaches only `up`, which then stops the processes in order.
        self.processes[name] = subprocess.Popen([*MOBILITY, *args], env={**os.environ, **(env or {})},
                                                start_new_session=True)

    def start(self) -> None:
        for i, owner in enumerate(DATABASE_OWNERS):
            self._spawn(f"worker-{owner}", "worker", owner,
                        env={"MOBILITY_METRICS_PORT": str(self.metrics_port + i)} if self.metrics_port else None)
        for owner in SERVICES:
            port = urlsplit(self.settings.service_urls[owner]).port
            self._spawn(f"api-{owner}", "serve", owner, "--bind", f"127.0.0.1:{port}")
        self._spawn("api-gateway", "serve", "gateway", "--bind", f"{self.host}:{self.port}")
        log.info("up.started", gateway=f"http://{self.host}:{self.port}",
                 processes={name: p.pid for name, p in self.processes.items()})

    def wait(self) -> int:
        """Until a signal (0) or until a process dies on its own (1)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        while not self.stopping.wait(0.5):
            for name, process in self.processes.items():
                if process.poll() is not None:
                    log.error("up.process_died", process=name, returncode=process.returncode)
                    self.stop()
                    return 1
        self.stop()
        return 0

    def stop(self) -> None:
        order = [f"api-{o}" for o in STOP_ORDER] + [f"worker-{o}" for o in STOP_ORDER]
        for name in order:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                log.warning("up.kill", process=name)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.info("up.stopped", returncodes={name: p.returncode for name, p in self.processes.items()})


def run(settings: Settings, host: str, port: int, metrics_port: int, seed_demo: bool) -> int:
    up = Up(settings, host, port, metrics_port, seed_demo)
    up.prepare()
    up.start()
    return up.wait()


