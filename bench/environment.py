"""What a run stands on: a fresh RabbitMQ vhost and fresh PostgreSQL databases, an SMTP sink, the machine.

Everything is created for the run and dropped after it, so one run never sees another's queues or rows.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psutil
import psycopg
from aiosmtpd.controller import Controller

from chassis.settings import DATABASE_OWNERS

RABBIT = os.environ.get("BENCH_RABBITMQ", "127.0.0.1:5672")
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres@127.0.0.1:5432")
RUN = f"bench{os.getpid()}"  # one run's vhost and databases, so two runs (or a run and the tests) never meet
VHOST = f"mobility-{RUN}"
DATABASES = (*DATABASE_OWNERS, "floor", "relay")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (`mobility up --metrics-port` numbers its workers from
    one base), so that a run never meets another's or the default 9100."""
    for _ in range(50):
        base = free_port()
        if base + count > 65535:
            continue
        try:
            with ExitStack() as held:
                for port in range(base, base + count):
                    held.enter_context(socket.socket()).bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {count} consecutive free ports found")


def _rabbitmqctl(*args: str, check: bool = True) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=check, capture_output=True, timeout=120)


@contextmanager
def vhost() -> Iterator[str]:
    _rabbitmqctl("add_vhost", VHOST)
    _rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@{RABBIT}/{VHOST}"
    finally:
        _rabbitmqctl("delete_vhost", VHOST, check=False)


def pg_url(database: str, driver: str = "postgresql+psycopg") -> str:
    return f"{driver}://{POSTGRES}/{database}"


def libpq(sqlalchemy_url: str) -> str:
    """The same database as psycopg.connect() takes it."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def databases() -> Iterator[dict[str, str]]:
    """A database per owner, plus one for the floor (the bare endpoint) and one for the relay's outbox."""
    names = {owner: f"{RUN}_{owner}" for owner in DATABASES}
    with psycopg.connect(pg_url("postgres", "postgresql"), autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {owner: pg_url(name) for owner, name in names.items()}
    finally:
        with psycopg.connect(pg_url("postgres", "postgresql"), autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Discard:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[int]:
    """A real SMTP server that accepts and drops every message, so the sender's work is measured too."""
    port = free_port()
    controller = Controller(_Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def machine() -> dict[str, str]:
    memory = psutil.virtual_memory().total / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {}
    for name, command in (("PostgreSQL", ["psql", "--version"]), ("RabbitMQ", ["rabbitmqctl", "version"]),
                          ("wrk", ["wrk", "--version"])):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=30)
            versions[name] = (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            versions[name] = "unknown"
    return {
        "cores": str(psutil.cpu_count(logical=True)),
        "memory": f"{memory:.0f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        **versions,
    }
