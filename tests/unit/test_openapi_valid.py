"""The API documents are valid OpenAPI 3.1 (openapi-spec-validator): each service's /openapi.json and the
gateway's merged /api/v1/openapi.json, built from the apps as they are served, in-process."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from chassis.settings import SERVICES, Settings
from gateway.upstreams import WsgiUpstream
from mobility import registry


def _errors(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.path))}: {error.message}"
            for error in OpenAPIV31SpecValidator(document).iter_errors()]


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every service's document and the merged one; no database is touched to build them."""
    tmp: Path = tmp_path_factory.mktemp("openapi")
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp), **{
        f"MOBILITY_{owner.upper()}_DATABASE_URL": f"sqlite:///{tmp / owner}.db" for owner in [*SERVICES, "gateway"]}})
    apps = {name: registry.create_app(name, settings) for name in SERVICES}
    docs = {name: json.loads(app.test_client().get("/openapi.json").data) for name, app in apps.items()}
    gateway = registry.create_app("gateway", settings, upstreams={n: WsgiUpstream(a) for n, a in apps.items()})
    docs["merged"] = json.loads(gateway.test_client().get("/api/v1/openapi.json").data)
    return docs


@pytest.mark.parametrize("name", [*SERVICES, "merged"])
def test_the_document_is_valid_openapi_3_1(documents: dict[str, dict[str, Any]], name: str) -> None:
    document = documents[name]
    assert document["openapi"] == "3.1.0"
    assert _errors(document) == []


def test_the_merged_document_has_every_service(documents: dict[str, dict[str, Any]]) -> None:
    merged = documents["merged"]
    assert "x-unavailable-services" not in merged["info"]
    for service in SERVICES:
        assert set(documents[service]["paths"]) & set(merged["paths"]), service


def test_the_validator_catches_a_webargs_location() -> None:
    """What the token endpoint's document used to say: its fields as parameters `in: json_or_form`."""
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/token": {"post": {
        "parameters": [{"in": "json_or_form", "name": "username", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}}}}}}
    assert any("json_or_form" in error for error in _errors(copy.deepcopy(document)))


def test_the_token_request_is_a_body_in_json_or_as_a_form(documents: dict[str, dict[str, Any]]) -> None:
    operation = documents["merged"]["paths"]["/api/v1/auth/token"]["post"]
    assert "parameters" not in operation
    body = operation["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"application/json", "application/x-www-form-urlencoded"}


def test_the_upload_is_multipart_with_its_file_and_type_required(documents: dict[str, dict[str, Any]]) -> None:
    operation = documents["merged"]["paths"]["/api/v1/applications/{application_id}/documents"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert operation["requestBody"]["required"] is True
    assert set(schema["required"]) == {"file", "doc_type"}
    assert schema["properties"]["file"] == {**schema["properties"]["file"], "type": "string", "format": "binary"}


def test_formats_and_patterns_are_json_schema_words(documents: dict[str, dict[str, Any]]) -> None:
    """Formats that tools know, and patterns in ECMA-262 (no Python-only `\\Z`, `(?P<`, `(?i)`)."""
    known = {"binary", "date", "date-time", "email", "int32", "int64", "uri", "uuid"}
    for name, document in documents.items():
        for key, value in _walk(document):
            if key == "format" and isinstance(value, str):
                assert value in known, (name, value)
            if key == "pattern" and isinstance(value, str):
                assert not any(python in value for python in ("\\Z", "\\A", "(?P<", "(?i)")), (name, value)


def test_the_webhook_subscription_says_what_the_server_checks(documents: dict[str, dict[str, Any]]) -> None:
    schemas = documents["notifications"]["components"]["schemas"]
    for name in ("SubscriptionIn", "SubscriptionPatch"):
        url = schemas[name]["properties"]["url"]
        assert url["format"] == "uri" and url["maxLength"] == 2000 and url["pattern"].startswith("^[Hh]")
        assert schemas[name]["additionalProperties"] is False
    secret = schemas["SubscriptionIn"]["properties"]["secret"]
    assert secret["pattern"].startswith("^whsec_") and (secret["minLength"], secret["maxLength"]) == (30, 198)


def test_a_review_level_condition_is_typed_from_the_conditions_table(documents: dict[str, dict[str, Any]]) -> None:
    from services.reviews.conditions import CONDITIONS

    condition = documents["reviews"]["components"]["schemas"]["Level"]["properties"]["condition"]
    assert condition["required"] == ["any"] and condition["additionalProperties"] is False
    branches = condition["properties"]["any"]["items"]["oneOf"]
    assert [branch["required"] for branch in branches] == [[name] for name in CONDITIONS]
