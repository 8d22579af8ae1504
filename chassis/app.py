"""The Flask factory every service uses: errors, tracing, token check, health and OpenAPI, wired per call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_smorest import Api
from marshmallow import fields
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from chassis import auth, errors, health, metrics, pdf, tracing
from chassis.blueprint import Blueprint
from chassis.db import make_engine, make_sessionmaker
from chassis.settings import Settings
from chassis.tokens import Verifier


@dataclass
class ServiceContext:
    name: str
    settings: Settings
    engine: Engine
    sessions: sessionmaker


def create_service_app(
    name: str, settings: Settings, blueprints: list[Blueprint], engine: Engine | None = None,
    own_figures: Callable[[Engine], list[metrics.Collector]] | None = None,
) -> Flask:
    """The service's Flask app; `own_figures(engine)` adds what its /metrics reads beyond the bus's figures."""
    app = Flask(__name__)
    app.config.update(
        API_TITLE=f"Mobility {name}",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
    )
    engine = engine or make_engine(settings.database_url(name))
    app.extensions["mobility"] = ServiceContext(name, settings, engine, make_sessionmaker(engine))
    errors.install(app)
    pdf.install(app)  # a PDF asked for without its font: 503 with the remedy
    tracing.install(app)
    figures = metrics.figures(name, settings.broker_url, engine) + (own_figures(engine) if own_figures else [])
    metrics.install(app, name, figures)
    auth.install(app, Verifier(settings.jwt_public_key_file, settings.jwt_issuer), audience=name)
    health.install(
        app,
        required={"database": health.database_check(engine)},
        reported={"broker": health.broker_check(settings.broker_url)},
    )
    api = errors.ProblemApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    json_schema_words(api)
    for bp in blueprints:
        api.register_blueprint(bp)
    return app


def json_schema_words(api: Api) -> None:
    """The document states what the validators enforce in words JSON Schema tools know: a URL is format `uri`
    (apispec writes `url`, which no validator or generator knows), and a pattern ends with `$`, not Python's `\\Z`
    (which ECMA-262, the patterns' dialect, reads as a letter Z)."""
    api.register_field(fields.URL, "string", "uri")
    api.ma_plugin.converter.add_attribute_function(_ecma_end_anchor)
    api.ma_plugin.converter.add_attribute_function(_validator_words)


def _ecma_end_anchor(self: object, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    pattern = ret.get("pattern")
    return {"pattern": pattern[:-2] + "$"} if isinstance(pattern, str) and pattern.endswith("\\Z") else {}


def _validator_words(self: object, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A validator of our own that can say its rule in JSON Schema (a `json_schema()` method, e.g. the names
    a registry holds when the app is built) adds those words to its field."""
    words: dict[str, Any] = {}
    for validator in field.validators:
        if callable(describe := getattr(validator, "json_schema", None)):
            words.update(describe())
    return words


def ctx() -> ServiceContext:
    return current_app.extensions["mobility"]  # type: ignore[no-any-return]
