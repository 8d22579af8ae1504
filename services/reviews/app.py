"""create_app(settings): the reviews service's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from chassis.app import create_service_app
from chassis.settings import Settings
from services.reviews import api, chains_api, log_api, stats_api


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    app = create_service_app("reviews", settings, [api.blp, chains_api.blp, log_api.blp, stats_api.blp], engine)
    api.register_domain_errors(app)
    return app
