"""create_app(settings): the applications service's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from chassis.app import create_service_app
from chassis.settings import Settings
from services.applications import (
    api,
    approvals_api,
    change_requests_api,
    documents_api,
    kinds,
    kinds_api,
    openapi,
    programs_api,
    stats_api,
    submissions_api,
    trip_rules_api,
)


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    kinds.load(settings.kind_modules)  # before the API document, which has a form schema per kind
    blueprints = [api.blp, approvals_api.blp, change_requests_api.blp, documents_api.blp, kinds_api.blp,
                  programs_api.blp, stats_api.blp, submissions_api.blp, trip_rules_api.blp]
    app = create_service_app("applications", settings, blueprints, engine)
    api.register_domain_errors(app)
    openapi.document_kinds(app)
    return app
