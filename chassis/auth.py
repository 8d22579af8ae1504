"""The token check every service runs on `/api/`: a gateway-signed JWT whose `aud` is this service."""

from __future__ import annotations

import jwt
import structlog
from flask import Flask, g, request
from werkzeug.exceptions import ServiceUnavailable, Unauthorized

from chassis.tokens import Identity, Verifier

log = structlog.get_logger(__name__)


def identity_from_request(verifier: Verifier, audience: str) -> Identity:
    """The caller's identity from `Authorization: Bearer <jwt>`; 401 without details for any bad token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("A bearer token is required.", challenge="Bearer")
    try:
        return verifier.verify(token.strip(), audience)
    except FileNotFoundError as exc:
        log.error("auth.verification_key_missing", error=str(exc))
        raise ServiceUnavailable("Token verification is not available yet.") from exc
    except jwt.PyJWTError as exc:
        log.info("auth.token_rejected", reason=str(exc))  # the reason goes to the log, not to the caller
        raise _unauthorized("The token is invalid or expired.") from exc


def install(app: Flask, verifier: Verifier, audience: str) -> None:
    @app.before_request
    def _check_token() -> None:
        if request.path.startswith("/api/"):
            g.identity = identity_from_request(verifier, audience)


def _unauthorized(detail: str, challenge: str = 'Bearer error="invalid_token"') -> Unauthorized:
    error = Unauthorized(detail)
    error.www_authenticate = [challenge]  # type: ignore[list-item]
    return error


def current_identity() -> Identity:
    return g.identity  # type: ignore[no-any-return]
