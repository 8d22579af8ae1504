"""1. Submission throughput: POST .../submit through the gateway (bearer token, service JWT, validation, the
row and its outbox row) against the floor: bench/floor.py under the same gunicorn settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bench import floor
from bench.environment import free_port
from bench.load import Load, wrk
from bench.stack import Stack

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"


def submit_paths(ids: list[str]) -> list[str]:
    return [f"/api/v1/applications/{i}/submit" for i in ids]


def through_gateway(stack: Stack, token: str, ids: list[str], *, seconds: float, connections: int,
                    workdir: Path) -> Load:
    return wrk(stack.url, "POST", submit_paths(ids), seconds=seconds, connections=connections, token=token,
               header='If-Match:"1"', workdir=workdir)


@contextmanager
def floor_server(database_url: str, workdir: Path, env: dict[str, str]) -> Iterator[str]:
    floor.create_tables(database_url)
    port = free_port()
    log = open(workdir / "floor.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "bench.floor:create_app()"],
        env={**env, "MOBILITY_BIND": f"127.0.0.1:{port}", "BENCH_FLOOR_DATABASE_URL": database_url},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url, timeout=1)  # any answer (404) means gunicorn serves
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the floor server did not start; see floor.log") from None
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def floor_load(url: str, ids: list[str], *, seconds: float, connections: int, workdir: Path) -> Load:
    return wrk(url, "POST", submit_paths(ids), seconds=seconds, connections=connections, workdir=workdir)
