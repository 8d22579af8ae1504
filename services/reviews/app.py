"""create_app(settings): the reviews service's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from chassis.app import create_service_app
from chassis.settings import Settings
from services.reviews import (
    api,
    calendar_api,
    chains_api,
    conditions_api,
    log_api,
    progress_api,
    publicity_api,
    stats_api,
)


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    blueprints = [api.blp, chains_api.blp, conditions_api.blp, log_api.blp, progress_api.blp, stats_api.blp,
                  calendar_api.blp, publicity_api.blp]
    app = create_service_app("reviews", settings, blueprints, engine)
    api.register_domain_errors(app)
    return app
