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


def _seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


@contextmanager
def accounted(processes: Callable[[], dict[int, str]]) -> Iterator[dict[str, float]]:
    """Yields a dict that, after the block, holds CPU seconds used per group during the block."""
    groups = _groups(processes())
    before = {name: _seconds(pids) for name, pids in groups.items()}
    used: dict[str, float] = {}
    yield used
    used.update({name: max(0.0, _seconds(pids) - before[name]) for name, pids in groups.items()})
