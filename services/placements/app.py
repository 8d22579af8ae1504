"""create_app(settings): the placements service's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from chassis.app import create_service_app
from chassis.errors import problem
from chassis.settings import Settings
from services.placements import (
    agreements_api,
    figures,
    list_publicity_api,
    nominations_api,
    offers_api,
    partner_api,
    places_api,
    rounds_api,
)
from services.placements.errors import PlacementError


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    blueprints = [agreements_api.blp, places_api.blp, rounds_api.blp, offers_api.blp, nominations_api.blp,
                  partner_api.blp, list_publicity_api.blp]
    app = create_service_app("placements", settings, blueprints, engine, own_figures=figures.collectors)

    def render(exc: PlacementError):  # type: ignore[no-untyped-def]
        title = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 412: "Precondition Failed",
                 422: "Unprocessable Entity"}.get(exc.status, "Error")
        return problem(exc.status, title, str(exc), **({"errors": exc.errors} if exc.errors else {}))

    app.register_error_handler(PlacementError, render)
    return app
