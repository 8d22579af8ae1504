"""The token check every service runs on `/api/`: a gateway-signed JWT whose `aud` is this service."""

from __future__ import annotations

import jwt
import structlog
from flask import Flask, g, request
from werkzeug.exceptions import ServiceUnavailable, Unauthorized

from chassis.tokens import Identity, Verifier

log = structlog.get_logger(__name__)


def install(app: Flask, verifier: Verifier, audience: str) -> None:
    @app.before_request
    def _check_token() -> None:
        if not request.path.startswith("/api/"):
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("A bearer token is required.")
        try:
            g.identity = verifier.verify(token.strip(), audience)
        except FileNotFoundError as exc:
            raise ServiceUnavailable("Token verification key is not available yet.") from exc
        except jwt.PyJWTError as exc:
            log.info("auth.token_rejected", reason=str(exc))
            raise _unauthorized(f"Invalid token: {exc}") from exc


def _unauthorized(detail: str) -> Unauthorized:
    error = Unauthorized(detail)
    error.www_authenticate = [f'Bearer error="invalid_token", error_description="{detail[:80]}"']  # type: ignore[list-item]
    return error


def current_identity() -> Identity:
    return g.identity  # type: ignore[no-any-return]
