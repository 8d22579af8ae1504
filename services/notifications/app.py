"""create_app(settings): the notifications service's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from chassis.app import create_service_app
from chassis.settings import Settings
from services.notifications import api, feed_api, outgoing_api, subscriptions_api


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    blueprints = [api.blp, feed_api.blp, outgoing_api.blp, subscriptions_api.blp]
    return create_service_app("notifications", settings, blueprints, engine)
