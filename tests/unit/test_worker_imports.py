"""A worker process (`mobility worker <owner>`) loads what its threads run, not the web stack: the service app
factory, the PDF makers and the token library cost every worker 17 MB before it handled anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Built as `mobility worker` builds them: the CLI module, every owner's components and its /metrics figures.
WORKERS = """
import sys
from chassis import metrics
from chassis.db import make_engine
from chassis.settings import Settings
from mobility import cli, registry

settings = Settings.from_env({"MOBILITY_VAR_DIR": sys.argv[1]})
for owner in registry.OWNERS:
    engine = make_engine(settings.database_url(owner))
    registry.worker_components(owner, settings, engine)
    metrics.figures(owner, settings.broker_url, engine)
print(" ".join(sorted(sys.modules)))
"""
WEB_ONLY = ("chassis.app", "chassis.pdf", "chassis.tokens", "jwt", "cryptography", "reportlab", "PIL")


def test_no_worker_imports_the_web_stack(tmp_path: Path) -> None:
    loaded = set(subprocess.run([sys.executable, "-c", WORKERS, str(tmp_path)], check=True, capture_output=True,
                                text=True).stdout.split())
    assert "services.notifications.handlers" in loaded  # the workers were built
    assert not [name for name in WEB_ONLY if name in loaded]
