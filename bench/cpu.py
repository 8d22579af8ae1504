"""Where the CPU went during a run: CPU time per process group (gateway, each API, each worker, PostgreSQL,
RabbitMQ), per request. It shows which part of the system a profile should look at first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psutil


def _groups(processes: dict[int, str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for pid, name in processes.items():
        groups.setdefault(name.split(" #")[0].replace(" (master)", ""), []).append(pid)
    for proc in psutil.process_iter(["name"]):
        name = proc.info["name"] or ""
        if name.startswith("postgres"):
            groups.setdefault("PostgreSQL", []).append(proc.pid)
        elif name.startswith("beam"):
            groups.setdefault("RabbitMQ", []).append(proc.pid)
    return groups


def _times(groups: dict[str, list[int]]) -> dict[int, tuple[str, float]]:
    out = {}
    for name, pids in groups.items():
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            out[pid] = (name, times.user + times.system)
    return out


@contextmanager
def accounted(processes: Callable[[], dict[int, str]]) -> Iterator[dict[str, float]]:
    """Yields a dict that, after the block, holds CPU seconds used per group during the block: per process,
    so that one that started during the block (a new PostgreSQL backend) counts whole, and one that ended
    (a gunicorn worker replaced) does not subtract what it had used before."""
    before = _times(_groups(processes()))
    used: dict[str, float] = {}
    yield used
    for pid, (name, seconds) in _times(_groups(processes())).items():
        used[name] = used.get(name, 0.0) + max(0.0, seconds - before.get(pid, (name, 0.0))[1])
