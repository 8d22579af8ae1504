"""API fuzzing with schemathesis: every service's OpenAPI document, and the gateway's merged one, in-process
and authenticated, with schemathesis's default checks (no 5xx, documented status codes, content types and
headers, responses that match their schemas, bad input rejected).

One adjustment, documented here: `positive_data_acceptance` also accepts 422 and 415. The schemas describe
shapes; the services then apply rules a schema cannot say (dates in the future, the program's own partners,
an opaque cursor this API gave out, a file's real type), and answer those with 422 or 415.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from chassis.settings import Settings
from chassis.tokens import Identity
from mobility.embedded import Embedded
from tests.support.service import start_service

CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "415", "422", "429"]}}})
SETTINGS = hypothesis.settings(max_examples=25, deadline=None, derandomize=True,
                               suppress_health_check=list(hypothesis.HealthCheck))
# Who calls each service: someone whose role reaches most of its endpoints.
CALLERS = {
    "applications": Identity(username="alice", roles=[{"role": "student", "school": "cs"}], school="cs",
                             email="alice@example.edu", name="Alice"),
    "reviews": Identity(username="icd.officer", roles=[{"role": "icd_officer", "school": None}],
                        email="icd@example.edu", name="ICD"),
    "notifications": Identity(username="admin", roles=[{"role": "admin", "school": None}],
                              email="admin@example.edu", name="Admin"),
}


@pytest.fixture(scope="module", params=sorted(CALLERS))
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    owner = request.param
    tmp = tmp_path_factory.mktemp(owner)
    svc = start_service(owner, tmp, f"sqlite:///{tmp / owner}.db")
    token = svc.signer.sign(CALLERS[owner], audience=owner, ttl=3600)
    # The token works: otherwise every call would be a 401, which the checks accept, and prove nothing.
    probe = {"applications": "/api/v1/applications", "reviews": "/api/v1/review-chains",
             "notifications": "/api/v1/notifications"}[owner]
    assert svc.client.get(probe, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    yield {"schema": schemathesis.openapi.from_wsgi("/openapi.json", svc.app, config=CONFIG),
           "headers": {"Authorization": f"Bearer {token}"}}
    svc.engine.dispose()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    unlimited = "1000000/minute"
    system = Embedded(Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("gateway") / "var"), "MOBILITY_SMTP_PORT": "9",
        "MOBILITY_RATE_LIMIT_LOGIN": unlimited, "MOBILITY_RATE_LIMIT_SUBMIT": unlimited,
        "MOBILITY_RATE_LIMIT_UPLOAD": unlimited,
    })).start()
    token = system.gateway.test_client().post(
        "/api/v1/auth/token", json={"username": "alice", "password": "demo"}).get_json()["access_token"]
    assert system.gateway.test_client().get(
        "/api/v1/applications", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    yield {"schema": schemathesis.openapi.from_wsgi("/api/v1/openapi.json", system.gateway, config=CONFIG),
           "headers": {"Authorization": f"Bearer {token}"}}
    system.stop()


def fuzz(schema: Any, headers: dict[str, str]) -> None:
    """Every operation of the document, each with hypothesis-generated requests; all failures reported."""
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the document lists no operation"
    for operation in operations:
        @SETTINGS
        @hypothesis.given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group; all are collected
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_each_service_keeps_its_own_contract(service: dict[str, Any]) -> None:
    fuzz(service["schema"], service["headers"])


def test_the_gateway_keeps_the_merged_contract(gateway: dict[str, Any]) -> None:
    fuzz(gateway["schema"], gateway["headers"])


def test_the_harness_fails_on_a_server_error() -> None:
    from flask import Flask

    app = Flask(__name__)

    @app.get("/boom")
    def boom() -> Any:
        return {"detail": "a bug"}, 500  # what our services answer to a bug (chassis/errors.py)

    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/boom": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    app.add_url_rule("/openapi.json", "spec", lambda: spec)
    with pytest.raises(AssertionError, match="GET /boom"):
        fuzz(schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG), {})
