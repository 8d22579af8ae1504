"""Request id and correlation id: taken from the caller when well-formed, else made; bound to every log line.

The correlation id travels into events (the `correlationid` extension) and back out of consumers.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from flask import Flask, Response, g, request

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Paths whose last segment is a credential: a partner's signed answer link (the page and the API behind it) and a
# 任务批件's verification token (the page and the API). Whoever reads the logs must not be able to use them, so
# a log line says ".../***" instead.
SECRET_PATHS = re.compile(r"^(/partner/nominations|/verify|/api/v1/partner-answers|/api/v1/approvals/verify)/[^/?]+")
log = structlog.get_logger(__name__)


def _take(header: str) -> str | None:
    value = request.headers.get(header, "")
    return value if _SAFE.match(value) else None


def request_id() -> str:
    return getattr(g, "request_id", None) or str(uuid.uuid4())


def correlation_id() -> str:
    return getattr(g, "correlation_id", None) or request_id()


def loggable(path: str) -> str:
    """`path` as a log line may show it: a credential in it replaced by ***."""
    return SECRET_PATHS.sub(r"\1/***", path)


def install(app: Flask) -> None:
    @app.before_request
    def _bind() -> None:
        g.request_started = time.perf_counter()
        g.request_id = _take("X-Request-ID") or str(uuid.uuid4())
        g.correlation_id = _take("X-Correlation-ID") or g.request_id
        # Tokens, so teardown restores what was bound before: in the embedded topology the gateway
        # calls a service app in its own thread, and must keep its ids afterwards.
        g.log_context = structlog.contextvars.bind_contextvars(
            request_id=g.request_id, correlation_id=g.correlation_id
        )

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        response.headers["X-Correlation-ID"] = correlation_id()
        log.info("http.request", method=request.method, path=loggable(request.path), status=response.status_code,
                 ms=round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1))
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        tokens = g.pop("log_context", None)
        if tokens:
            structlog.contextvars.reset_contextvars(**tokens)
