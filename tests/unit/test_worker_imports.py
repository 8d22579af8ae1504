"""A worker process (`mobility worker <owner>`) loads what its threads run, not the web stack: the service app
factory, the PDF makers and the token library cost every worker 17 MB before it handled anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# `mobility worker <owner>` itself, for every owner, with /metrics on: only the two calls that would block (serving
# the figures, running the threads) are replaced, by ones that build what they are given.
WORKERS = """
import os, sys
from chassis import metrics, worker
from mobility import cli, registry

os.environ.update(MOBILITY_VAR_DIR=sys.argv[1], MOBILITY_METRICS_PORT="9")
metrics.serve = lambda port, collectors: [type(c) for c in collectors]
worker.run_forever = lambda components, name: [type(c) for c in components]
for owner in registry.OWNERS:
    cli.main(["worker", owner], standalone_mode=False)
print(" ".join(sorted(sys.modules)))
"""
WEB_ONLY = ("chassis.app", "chassis.pdf", "chassis.tokens", "jwt", "cryptography", "reportlab", "PIL")


def test_no_worker_imports_the_web_stack(tmp_path: Path) -> None:
    loaded = set(subprocess.run([sys.executable, "-c", WORKERS, str(tmp_path)], check=True, capture_output=True,
                                text=True).stdout.split())
    assert "services.notifications.handlers" in loaded  # the workers were built
    assert not [name for name in WEB_ONLY if name in loaded]
