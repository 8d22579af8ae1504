"""API fuzzing with schemathesis: every service's OpenAPI document, and the gateway's merged one, in-process
and authenticated as a student, as an admin and as the ICD officer (whose role reaches the review tasks), with
schemathesis's default checks (no 5xx, documented status codes, content types and headers, responses that
match their schemas, bad input rejected, schema-valid input accepted).

`positive_data_acceptance` takes 2xx, 401, 403, 404, 409 and 429 from any operation: who may do what, ids that
name nothing (the ids are random), a state that forbids the step and rate limits are not the document's to
say. A schema-valid request refused with 415 or 422 is a failure, except for the rules below, which a schema
cannot state; each is allowed for its operation only, and only when the refusal names that field:

- GET /api/v1/applications `cursor`, GET /api/v1/review-tasks `cursor`, GET /api/v1/notifications `cursor`,
  GET /api/v1/notifications/outgoing `cursor`, GET /api/v1/agreements `cursor`, GET /api/v1/events `after`:
  opaque cursors, valid only as this API gave them out.
- POST /api/v1/applications `program_id`: an existing program of the application's kind (the document says
  that a kind filed under a program needs a program id, and that others take null).
- POST /api/v1/programs `closes_at`: after opens_at, one field compared with another; `partner_ids`: partners
  that exist.
- POST and PATCH /api/v1/subscriptions `url`: its host must resolve to a public address (DNS, at call time).
- PUT /api/v1/trip-rules/{category} `days_by_countries`: numbers of countries up to max_countries, one field
  compared with another.
- POST /api/v1/allowances/import `file`: a CSV table with its header and good lines, which a schema of a text
  body cannot state.
- PUT /api/v1/calendar/{year} `days`: every date in the year the path names, none twice.
- PUT /api/v1/review-chains/{kind} `levels`: what a level needs depends on its type (a publicity level its
  working days).
- POST /api/v1/agreements and PATCH /api/v1/agreements/{agreement_id} `signed_on`, `valid_from`, `valid_to`:
  a signed agreement names its three dates and valid_to is not before valid_from, fields compared with each
  other; `terms.*.languages`: a term names each language once, whatever its CEFR level (unique by one key of
  the items); PATCH `status` too: the step allowed depends on the stored status.

A `kind` (the filters, a program's kind) is stated as an enum of the kinds registered when the document is built.
"""

from __future__ import annotations

import json
import re
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

ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]
# operation -> status -> the fields a refusal with that status may name; the docstring says why for each.
ALLOWED: dict[str, dict[int, set[str]]] = {
    "GET /api/v1/applications": {422: {"cursor"}},
    "GET /api/v1/review-tasks": {422: {"cursor"}},
    "GET /api/v1/notifications": {422: {"cursor"}},
    "GET /api/v1/notifications/outgoing": {422: {"cursor"}},
    "GET /api/v1/agreements": {422: {"cursor"}},
    "GET /api/v1/events": {422: {"after"}},
    "POST /api/v1/applications": {422: {"program_id"}},
    "POST /api/v1/programs": {422: {"closes_at", "partner_ids"}},
    "POST /api/v1/subscriptions": {422: {"url"}},
    "PATCH /api/v1/subscriptions/{subscription_id}": {422: {"url"}},
    "PUT /api/v1/trip-rules/{category}": {422: {"days_by_countries"}},
    "POST /api/v1/allowances/import": {422: {"file"}},
    "PUT /api/v1/calendar/{year}": {422: {"days"}},
    "PUT /api/v1/review-chains/{kind}": {422: {"levels"}},
    "POST /api/v1/agreements": {422: {"signed_on", "valid_from", "valid_to", "terms.*.languages"}},
    "PATCH /api/v1/agreements/{agreement_id}": {422: {"status", "signed_on", "valid_from", "valid_to",
                                                       "terms.*.languages"}},
}
def allowed(label: str) -> dict[int, set[str]]:
    """The refusals an operation may answer schema-valid input with: status -> the fields they may name."""
    merged: dict[int, set[str]] = {}
    for status, names in ALLOWED.get(label, {}).items():
        merged.setdefault(status, set()).update(names)
    return merged


CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    "operations": [{"include-name": name, "checks": {"positive_data_acceptance": {
        "expected-statuses": ACCEPTED + [str(status) for status in allowed(name)]}}} for name in ALLOWED],
})
SETTINGS = hypothesis.settings(max_examples=25, deadline=None, derandomize=True,
                               suppress_health_check=list(hypothesis.HealthCheck))
CALLERS = {
    "student": Identity(username="alice", roles=[{"role": "student", "school": "cs"}], school="cs",
                        email="alice@example.edu", name="Alice"),
    "admin": Identity(username="admin", roles=[{"role": "admin", "school": None}],
                      email="admin@example.edu", name="Admin"),
    # the reviewer whose role reaches the review tasks, as the demo's icd.officer
    "icd_officer": Identity(username="icd.officer", roles=[{"role": "icd_officer", "school": None}],
                            email="icd@example.edu", name="ICD"),
}
PROBES = {"applications": "/api/v1/applications", "reviews": "/api/v1/review-chains",
          "notifications": "/api/v1/notifications"}


@pytest.fixture(scope="module", params=sorted(PROBES))
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    owner = request.param
    tmp = tmp_path_factory.mktemp(owner)
    svc = start_service(owner, tmp, f"sqlite:///{tmp / owner}.db")
    svc.owner = owner
    yield svc
    svc.engine.dispose()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    unlimited = "1000000/minute"
    system = Embedded(Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("gateway") / "var"), "MOBILITY_SMTP_PORT": "9",
        "MOBILITY_RATE_LIMIT_LOGIN": unlimited, "MOBILITY_RATE_LIMIT_SUBMIT": unlimited,
        "MOBILITY_RATE_LIMIT_UPLOAD": unlimited,
    })).start()
    yield system
    system.stop()


def refused_for(label: str, response: Any) -> None:
    """An allowed 415 or 422 names only the fields whose rule allows it (see ALLOWED), never another; an item's
    index in a dotted name ("terms.12.languages") is read as `*`."""
    fields = allowed(label).get(response.status_code)
    if fields is not None:
        named = {re.sub(r"(?<=\.)[0-9]+(?=\.|$)", "*", name)
                 for name in json.loads(response.content).get("errors") or {"(none)": []}}
        assert named <= fields, f"{label}: {response.status_code} for {sorted(named - fields)}: {response.content!r}"


def fuzz(schema: Any, headers: dict[str, str]) -> None:
    """Every operation of the document, each with hypothesis-generated requests; all failures reported."""
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the document lists no operation"
    for operation in operations:
        @SETTINGS
        @hypothesis.given(case=operation.as_strategy())
        def check(case: Any) -> None:
            refused_for(case.operation.label, case.call_and_validate(headers=headers))

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group; all are collected
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_each_service_keeps_its_own_contract(service: Any, caller: str) -> None:
    token = service.signer.sign(CALLERS[caller], audience=service.owner, ttl=3600)
    headers = {"Authorization": f"Bearer {token}"}
    # The token works: otherwise every call would be a 401, which the checks accept, and prove nothing.
    assert service.client.get(PROBES[service.owner], headers=headers).status_code == 200
    fuzz(schemathesis.openapi.from_wsgi("/openapi.json", service.app, config=CONFIG), headers)


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_the_gateway_keeps_the_merged_contract(gateway: Embedded, caller: str) -> None:
    client = gateway.gateway.test_client()
    username = CALLERS[caller].username
    token = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/applications", headers=headers).status_code == 200
    fuzz(schemathesis.openapi.from_wsgi("/api/v1/openapi.json", gateway.gateway, config=CONFIG), headers)


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


def test_an_allowed_refusal_names_only_its_own_field() -> None:
    from types import SimpleNamespace

    def refusal(errors: dict[str, list[str]]) -> Any:
        return SimpleNamespace(status_code=422, content=json.dumps({"status": 422, "errors": errors}).encode())

    refused_for("GET /api/v1/events", refusal({"after": ["Not a cursor this feed gave out."]}))
    with pytest.raises(AssertionError, match="limit"):
        refused_for("GET /api/v1/events", refusal({"after": ["..."], "limit": ["..."]}))
