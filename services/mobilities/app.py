"""create_app(settings): the mobilities service's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from chassis.app import create_service_app
from chassis.errors import problem
from chassis.settings import Settings
from services.mobilities import api, figures, files_api, reports_api, settings_api
from services.mobilities.domain import MobilityError


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    blueprints = [reports_api.blp, settings_api.blp, api.blp, files_api.blp]
    app = create_service_app("mobilities", settings, blueprints, engine, figures.collectors)

    def render(exc: MobilityError):  # type: ignore[no-untyped-def]
        title = {409: "Conflict", 422: "Unprocessable Entity"}[exc.status]
        return problem(exc.status, title, str(exc), **({"errors": exc.errors} if exc.errors else {}))

    app.register_error_handler(MobilityError, render)
    return app
