"""A kind that exists only in a test module (tests/support/summer_school.py), loaded by every process through
MOBILITY_KIND_MODULES, walked through the whole system in both topologies: the admin gives it a chain through
the chains API, a student files it, uploads its document and submits it, every level approves, the student is
told in the inbox and by mail, and the statistics count it. Nothing else in the code names the kind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from chassis.settings import Settings
from mobility.embedded import Embedded
from tests.conftest import fresh_databases, fresh_vhost
from tests.e2e.test_review_chains import _decide, _status, _task
from tests.support import summer_school, wait
from tests.support.api import Gateway
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = {"MOBILITY_KIND_MODULES": "tests.support.summer_school"}
CHAIN = [{"role": "school_coordinator", "scope": "school", "days": 3},
         {"role": "school_dean", "scope": "school", "days": 3},
         {"role": "icd_officer", "scope": "university", "days": 5}]


@pytest.fixture(scope="module", params=["embedded", "distributed"])
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            smtp: SmtpSink) -> Iterator[Gateway]:
    if request.param == "embedded":
        settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("embedded") / "var"),
                                      "MOBILITY_SMTP_PORT": str(smtp.port), "MOBILITY_RETRY_DELAY_MS": "300",
                                      **PLUGIN})
        system = Embedded(settings).start()
        server = make_server("127.0.0.1", 0, system.gateway, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield Gateway(f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            system.stop()
            summer_school.kinds.unregister(summer_school.NAME)  # this process loaded it too
        return
    with fresh_vhost() as amqp_url, fresh_databases() as pg_urls:
        stack = Stack(tmp_path_factory.mktemp("stack"), amqp_url, pg_urls, smtp.port)
        stack.env.update(PLUGIN, PYTHONPATH=str(ROOT))  # the processes import the test module like a plugin
        with stack.running():
            yield Gateway(stack.gateway_url)


def _approved_by_kind(gw: Gateway) -> dict[str, int]:
    r = gw.call("icd.officer", "GET", "/api/v1/stats/mobilities", params={"group_by": "kind"})
    assert r.status_code == 200, r.text
    return {row["key"]: row["approved"] for row in r.json()["rows"]}


def _outbound_students(gw: Gateway) -> int:
    r = gw.call("icd.officer", "GET", "/api/v1/stats/summary")
    assert r.status_code == 200, r.text
    return int(r.json()["indicators"]["outbound_students"])


def test_a_kind_from_a_test_module_goes_from_filing_to_statistics(gateway: Gateway, smtp: SmtpSink) -> None:
    kinds = {k["name"]: k for k in gateway.call("alice", "GET", "/api/v1/kinds").json()["items"]}
    assert kinds["summer_school"]["labels"] == {"en": "Summer school", "zh": "暑期学校"}
    assert [d["type"] for d in kinds["summer_school"]["documents"] if d["required"]] == ["admission_letter"]

    put = gateway.call("admin", "PUT", "/api/v1/review-chains/summer_school", {"levels": CHAIN})
    assert put.status_code in (200, 201), put.text
    assert put.json()["levels"][1]["role"] == "school_dean"  # the admin's chain, not the module's default
    students_before = _outbound_students(gateway)

    created = gateway.call("alice", "POST", "/api/v1/applications",
                           {"kind": "summer_school", "program_id": None, "form": summer_school.FORM})
    assert created.status_code == 201, created.text
    application: dict[str, Any] = created.json()
    assert application["title"] == "Summer school: Oxford Summer School"
    assert gateway.submit("alice", application["id"]).status_code == 422  # its document is missing
    assert gateway.upload("alice", application["id"], "admission_letter").status_code == 201
    submitted = gateway.submit("alice", application["id"])
    assert submitted.status_code == 200, submitted.text

    for level, reviewer in enumerate(["coord.cs", "dean.cs", "icd.officer"], start=1):
        task = _task(gateway, reviewer, application["id"], level)
        assert task["kind"] == "summer_school"
        _decide(gateway, reviewer, task)
    _status(gateway, "alice", application["id"], "approved")

    def notices() -> list[str]:
        items = gateway.call("alice", "GET", "/api/v1/notifications").json()["items"]
        return sorted(n["event_type"] for n in items if application["id"] in (n.get("link") or ""))

    wait.until(lambda: notices() == ["application.approved", "application.submitted"], what="alice's notices")
    wait.until(lambda: [m for m in smtp.to("alice@demo.mobility.local")
                        if "Oxford Summer School" in str(m["Subject"]) and "approved" in str(m["Subject"]).lower()],
               what="the approval mail to alice")
    wait.until(lambda: _approved_by_kind(gateway).get("summer_school") == 1, what="the kind in the statistics")
    assert _outbound_students(gateway) == students_before + 1  # the module says it counts as a student abroad
