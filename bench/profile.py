"""`python -m bench --profile`: py-spy samples every Mobility process during the steady-rate run (only the
thread holding the GIL, so the samples show where the CPU goes, not where threads wait) and writes,
per process group, the collapsed stacks (for flamegraph tools or speedscope) and the functions that took
the most samples, to var/bench/profiles/."""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "var" / "bench" / "profiles"


@contextmanager
def sampled(processes: Callable[[], dict[int, str]], seconds: float, out: Path = OUT) -> Iterator[None]:
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if py_spy is None:
        raise SystemExit("--profile needs py-spy (pip install -e '.[dev]')")
    out.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid, name in processes().items():
        if name.endswith("#1") or name.startswith("worker"):  # one API worker per service is representative
            path = out / f"{name.replace(' ', '-').replace('#', '')}.txt"
            spies.append((path, subprocess.Popen(
                [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250",
                 "--format", "raw", "--nonblocking", "--gil", "-o", str(path)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    try:
        yield
    finally:
        for path, spy in spies:
            spy.wait(timeout=seconds + 60)
            if path.exists():
                path.with_suffix(".top.txt").write_text(top(path), encoding="utf-8")


def top(collapsed: Path, lines: int = 60) -> str:
    """Inclusive share of samples per function (a function counted once per stack), busiest first."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] += n
    return "\n".join(f"{100 * n / max(1, total):5.1f}%  {frame}" for frame, n in inclusive.most_common(lines))
