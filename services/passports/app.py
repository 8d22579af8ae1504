"""create_app(settings): the passports service's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from chassis.app import create_service_app
from chassis.errors import problem
from chassis.settings import Settings
from services.passports import audit_api, custody_api, figures, import_api, register_api, settings_api
from services.passports.errors import PassportError


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    blueprints = [import_api.blp, custody_api.blp, register_api.blp, audit_api.blp, settings_api.blp]
    app = create_service_app("passports", settings, blueprints, engine, own_figures=figures.collectors)

    def render(exc: PassportError):  # type: ignore[no-untyped-def]
        title = {409: "Conflict", 422: "Unprocessable Entity"}[exc.status]
        return problem(exc.status, title, str(exc), **({"errors": exc.errors} if exc.errors else {}))

    app.register_error_handler(PassportError, render)
    return app
