"""The load generator: wrk (C, event loop) with bench/requests.lua, and what it cost in CPU.

wrk is a separate process, so its CPU time comes from its own rusage (os.wait4) and the report can show
that the generator was not the bottleneck.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("requests.lua")


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    generator_cpu: float  # CPU seconds per wall second (1.0 = one core busy)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return self.non_2xx + self.socket_errors


def wrk(base_url: str, method: str, paths: list[str], *, seconds: float, connections: int, workdir: Path,
        token: str = "", header: str = "", threads: int = 2) -> Load:
    """Run wrk for `seconds` with `connections` kept-alive connections, cycling through `paths`."""
    workdir.mkdir(parents=True, exist_ok=True)
    paths_file = workdir / f"paths-{os.getpid()}-{len(paths)}.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    threads = max(1, min(threads, connections))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "30s",
               "-s", str(SCRIPT), base_url, "--", method, str(paths_file), str(threads), token]
    if header:
        command.append(header)
    started = time.monotonic()
    with open(workdir / "wrk.stderr", "w+", encoding="utf-8") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert process.stdout is not None
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)  # reap it ourselves, for its rusage
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        errors.seek(0)
        err = errors.read()
    line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err or out}")
    result = json.loads(line.removeprefix("BENCH "))
    return Load(
        requests=result["requests"], seconds=result["seconds"], non_2xx=result["non_2xx"],
        socket_errors=result["socket_errors"], p50_ms=result["p50"] / 1000, p95_ms=result["p95"] / 1000,
        p99_ms=result["p99"] / 1000, generator_cpu=(usage.ru_utime + usage.ru_stime) / wall,
    )
