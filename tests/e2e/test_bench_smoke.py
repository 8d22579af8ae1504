"""`make bench` keeps working: the harness runs end to end in its small smoke mode (no timing is asserted;
the figures on a shared CI machine mean nothing) and writes a table with every measure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chassis.owners import SERVICES
from tests.conftest import CI, POSTGRES, RABBIT, need

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(900)
def test_the_benchmark_harness_runs_in_smoke_mode(tmp_path: Path) -> None:
    need("RabbitMQ", RABBIT)
    need("PostgreSQL", POSTGRES)
    if shutil.which("wrk") is None:
        message = "wrk is not installed (apt-get install wrk)"
        pytest.fail(message) if CI else pytest.skip(message)
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nHand-written findings stay.\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILITY_")}
    result = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=840)
    assert result.returncode == 0, result.stderr[-4000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written findings stay.\n")  # the prose around the table is kept
    for row in ("| 1 | Submission throughput", "| 2 | Relay throughput", "| 3 | Event latency at 50",
                "| 3 | Event latency at 20", "| 3 | Whole system absorbed at saturation, until drained",
                "| 3 | Event latency at half the absorbed rate",
                "| 3 | Event latency at saturation", "| 4 | Reviewer queue p95", "| 5 | Peak RSS",
                "| 6 | Backlog drain after an outage"):
        assert row in text, f"{row!r} missing from the table:\n{text}"
    table = [line for line in text.splitlines() if line[:4] in {f"| {n} " for n in range(1, 7)}]
    assert not any("nan" in line for line in table), text  # every measure produced numbers
    assert not any("failed" in line for line in table), text  # no request of the runs failed
    assert "| 4 | Reviewer queue" in result.stdout  # and the table is printed
    for header in ("| Run | Submissions waiting | Events consumed | Seconds to drained | Events/s | Submissions/s |",
                   "| Consuming queue | Event type | Events consumed | CPU ms per event | Share of consumer CPU |"):
        assert header in text, f"{header!r} missing from the report:\n{text}"
    assert " | application.submitted | " in text, text  # the cost table has the submission's consumers
    for owner in SERVICES:  # every worker, the newest service's too, is in the memory table
        assert f"| worker {owner} |" in text, f"worker {owner} missing from the memory table:\n{text}"
