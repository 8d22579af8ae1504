"""create_app(settings, upstreams): the gateway's Flask app. Nothing is wired at import time."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from chassis import errors, health, memory, metrics, tracing
from chassis.db import make_engine, make_sessionmaker
from chassis.settings import SERVICES, Settings
from chassis.tokens import Signer, Verifier, ensure_keypair
from gateway import forwarding, identity, openapi, web
from gateway.api import blp, wellknown
from gateway.ratelimits import RateLimits
from gateway.upstreams import HttpUpstream, Upstream

log = structlog.get_logger(__name__)


@dataclass
class GatewayContext:
    settings: Settings
    sessions: sessionmaker
    signer: Signer
    verifier: Verifier
    upstreams: dict[str, Upstream]
    ratelimits: RateLimits
    lockout: identity.Lockout


def create_app(
    settings: Settings, upstreams: dict[str, Upstream] | None = None, engine: Engine | None = None
) -> Flask:
    memory.return_large_blocks()  # each login's Argon2id buffer goes back to the system
    app = Flask(__name__)
    app.config.update(
        API_TITLE="Mobility gateway", API_VERSION="v1", OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1/gateway", OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
    )
    engine = engine or make_engine(settings.database_url("gateway"))
    assert settings.jwt_private_key_file and settings.jwt_public_key_file
    ensure_keypair(settings.jwt_private_key_file, settings.jwt_public_key_file)
    signer = Signer(settings.jwt_private_key_file, settings.jwt_issuer)
    if upstreams is None:
        upstreams = {
            name: HttpUpstream(settings.service_urls[name], settings.upstream_timeout) for name in SERVICES
        }
    app.extensions["gateway"] = GatewayContext(
        settings, make_sessionmaker(engine), signer, Verifier(settings.jwt_public_key_file, settings.jwt_issuer),
        upstreams, RateLimits(settings), identity.Lockout(settings.login_max_failures, settings.lockout_seconds),
    )
    errors.install(app)
    tracing.install(app)
    metrics.install(app, "gateway", [metrics.OutboxFigures(engine, "gateway")], public=True)
    health.install(
        app,
        required={"database": health.database_check(engine)},
        reported={"broker": health.broker_check(settings.broker_url)},
    )
    api = errors.ProblemApi(app)
    api.register_blueprint(blp)
    api.register_blueprint(wellknown)
    app.extensions["gateway_api"] = api
    forwarding.install(app)
    app.register_blueprint(openapi.bp)
    web.install(app, settings)
    if settings.trusted_proxies:  # the client's address (rate limits, logs) from X-Forwarded-For, set by them
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    if settings.rate_limit_storage.startswith("memory://") and not settings.broker_url.startswith("memory://"):
        log.warning("ratelimits.per_process", hint="set MOBILITY_RATE_LIMIT_STORAGE=redis://... so that every "
                    "gateway worker and replica counts against the same limits")
    return app
