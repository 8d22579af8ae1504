"""Browser security: the session cookie's flags, the secret that signs it, CSRF on every form, and headers.

The CSP allows only this origin's own files: no inline script or style, no CDN, no framing.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

from chassis import files
from chassis.settings import Settings

csrf = CSRFProtect()
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def secret_key(path: Path) -> bytes:
    """The key that signs session cookies: kept in a file (0600) so every worker and restart shares it."""
    if not path.exists():
        files.create_once(path, secrets.token_hex(32).encode())
    return path.read_text().strip().encode()


class SignedCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, its signing serializer made once per set of keys: Flask makes one for every
    request (even an API call that carries no cookie), and making one serializes a test value (about 12 µs of
    every request, measured alone; a sampling profile showed more). The serializer holds only the keys and
    settings."""

    def __init__(self) -> None:
        self._made: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self._made
        if made is None or made[0] != keys:  # a changed key (a test's) makes a new one
            made = self._made = (keys, super().get_signing_serializer(app))
        return made[1]


def install(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=secret_key(settings.secret_key_file),
        SESSION_COOKIE_NAME="mobility_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=settings.session_ttl,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by the page blueprints; the bearer-token API has no cookies
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.session_interface = SignedCookies()
    csrf.init_app(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        # a service's own stricter policy (document downloads) is kept
        response.headers.setdefault("Content-Security-Policy", CSP)
        if settings.session_cookie_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith(("/static/", "/api/v1/openapi.json")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
