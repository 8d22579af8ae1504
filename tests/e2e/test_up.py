"""`mobility up`, the local multi-process run: on real RabbitMQ and PostgreSQL it takes one application
through every review level via the gateway, its /metrics show the bus at work, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from chassis.settings import SERVICES
from tests.conftest import fresh_databases, fresh_vhost
from tests.e2e.test_review_chains import _decide, _status, _task
from tests.support import wait
from tests.support.api import Gateway
from tests.support.ports import free_run
from tests.support.smtp import SmtpSink

OWNERS = ("gateway", *SERVICES)


def _figures(url: str) -> dict[str, float]:
    """The mobility_* samples of a /metrics page, by their full series name."""
    text = requests.get(url, timeout=5).text
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(mobility_\S+) (\S+)$", text, re.M)}


def _total(figures: dict[str, float], prefix: str, **labels: str) -> float:
    return sum(v for k, v in figures.items()
               if k.startswith(prefix + "{") and all(f'{name}="{value}"' in k for name, value in labels.items()))


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-6000:]


def test_up_runs_the_distributed_system_and_stops_cleanly(tmp_path: Path, smtp: SmtpSink) -> None:
    api_base, metrics_base = free_run(len(OWNERS)), free_run(len(OWNERS))
    while abs(api_base - metrics_base) < len(OWNERS):
        metrics_base = free_run(len(OWNERS))
    ports = {owner: api_base + i for i, owner in enumerate(OWNERS)}
    with fresh_vhost() as amqp_url, fresh_databases() as pg_urls:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOBILITY_")},
            "MOBILITY_VAR_DIR": str(tmp_path / "var"), "MOBILITY_BROKER_URL": amqp_url,
            "MOBILITY_SMTP_HOST": "127.0.0.1", "MOBILITY_SMTP_PORT": str(smtp.port),
            "MOBILITY_WEB_WORKERS": "2", "MOBILITY_RELAY_SWEEP_SECONDS": "1",
            **{f"MOBILITY_{o.upper()}_DATABASE_URL": url for o, url in pg_urls.items()},
            **{f"MOBILITY_{s.upper()}_URL": f"http://127.0.0.1:{ports[s]}" for s in SERVICES},
        }
        log = open(tmp_path / "up.log", "wb")  # noqa: SIM115 - closed below
        up = subprocess.Popen(
            [sys.executable, "-m", "mobility", "up", "--port", str(ports["gateway"]),
             "--metrics-port", str(metrics_base), "--demo"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            def running() -> None:
                if up.poll() is not None:
                    raise AssertionError(f"`up` exited with {up.returncode}")  # its log is added below

            def ready() -> bool:
                running()
                try:
                    return all(requests.get(f"http://127.0.0.1:{ports[o]}/readyz", timeout=2).status_code == 200
                               for o in OWNERS)
                except requests.RequestException:
                    return False

            wait.until(ready, timeout=90, what="every API ready")
            worker_metrics = {o: f"http://127.0.0.1:{metrics_base + i}/metrics" for i, o in enumerate(OWNERS)}
            wait.until(lambda: running() or all(_listening(metrics_base + i) for i in range(len(OWNERS))), timeout=60,
                       what="workers' metrics")
            before = {o: _figures(url) for o, url in worker_metrics.items()}

            gw = Gateway(f"http://127.0.0.1:{ports['gateway']}")
            application = gw.apply_and_submit("alice", "student_exchange")
            for level, reviewer in enumerate(["coord.cs", "dean.cs", "icd.officer"], start=1):
                _decide(gw, reviewer, _task(gw, reviewer, application["id"], level))
            _status(gw, "alice", application["id"], "approved")

            after = {o: _figures(url) for o, url in worker_metrics.items()}
            published = "mobility_events_published_total"
            consumed = "mobility_events_consumed_total"
            assert _total(after["applications"], published, type="application.submitted") == \
                _total(before["applications"], published, type="application.submitted") + 1
            assert _total(after["reviews"], published, type="review.completed") >= 1
            assert _total(after["reviews"], consumed, queue="reviews.events", outcome="applied") > \
                _total(before["reviews"], consumed, queue="reviews.events", outcome="applied")
            assert _total(after["applications"], consumed, type="review.completed") >= 1
            api = _figures(f"http://127.0.0.1:{ports['applications']}/metrics")
            assert 'mobility_outbox_pending{source="applications"}' in api
            assert 'mobility_queue_messages{queue="applications.events"}' in api
            assert any(k.startswith("mobility_http_request_duration_seconds_count{") and
                       'route="/api/v1/applications/<uuid:application_id>/submit"' in k for k in api)
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n--- up.log ---\n{_tail(tmp_path / 'up.log')}") from failure
        finally:
            up.send_signal(signal.SIGINT)  # what Ctrl-C does
            try:
                code = up.wait(timeout=90)
            finally:
                if up.poll() is None:
                    os.killpg(up.pid, signal.SIGKILL)
                log.close()
        output = (tmp_path / "up.log").read_text(errors="replace")
        assert code == 0, output[-4000:]
        assert '"up.stopped"' in output or "up.stopped" in output
        assert not any(_listening(port) for port in ports.values()), "a process outlived `up`"
        assert "worker.stopped" in output  # the workers stopped on their own, not killed
        assert "up.kill" not in output
