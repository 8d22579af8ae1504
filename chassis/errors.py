"""Errors as RFC 9457 `application/problem+json`, with a field-by-field `errors` map for 422."""

from __future__ import annotations

import http
from typing import Any

import structlog
from flask import Flask, Response, json
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from eventbus.outage import database_unavailable

PROBLEM = "application/problem+json"
RETRY_AFTER_SECONDS = 5  # a restarting PostgreSQL is back within seconds; a client waits this long, then tries again
log = structlog.get_logger(__name__)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM)


def _field_errors(error: HTTPException) -> dict[str, Any] | None:
    data = getattr(error, "data", None) or {}
    if isinstance(data.get("errors"), dict):  # abort(..., errors={...}) from our own views
        return dict(data["errors"])
    messages = data.get("messages")
    if not isinstance(messages, dict):
        return None
    merged: dict[str, Any] = {}
    for location in messages.values():  # {"json": {...}, "query": {...}} from webargs
        if isinstance(location, dict):
            merged.update(location)
    return merged or None


def from_http_exception(error: HTTPException) -> Response:
    extra: dict[str, Any] = {}
    errors = _field_errors(error)
    if errors is not None:
        extra["errors"] = errors
    data = getattr(error, "data", None) or {}
    if isinstance(data.get("error"), str):  # an OAuth2 error code (RFC 6749 5.2), kept as an extension member
        extra["error"] = data["error"]
    detail = data.get("message") or error.description
    if errors is not None and not data.get("message"):
        detail = "The request has invalid fields; see errors."
    response = problem(error.code or 500, error.name, detail, **extra)
    for key, value in (error.get_headers() if error.code in (401, 405, 429) else []):
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


class Problem(Schema):
    """RFC 9457 problem details, as every error is answered."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "field → messages, for 422"})
    error = fields.String(metadata={"description": "an OAuth2 error code, from the token endpoint"})


class ProblemApi(Api):
    """flask-smorest Api whose errors are problem+json, in the answers and in the OpenAPI document."""

    ERROR_SCHEMA = Problem

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return from_http_exception(error)

    def _register_responses(self) -> None:
        from flask_smorest.spec import prepare_response

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def unavailable() -> Response:
    """503 with Retry-After. The transaction was rolled back, so nothing of the request was kept, unless the
    connection was lost after a commit: a client that tries again must expect the first try to have counted
    (a 409 for a transition that was done)."""
    response = problem(503, "Service Unavailable",
                       "The database is unavailable at the moment; try again in a few seconds.")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def install(app: Flask) -> None:
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, unexpected)


def unexpected(error: Exception) -> Response:
    """Any exception a view let through, as problem+json."""
    if isinstance(error, HTTPException):
        return from_http_exception(error)
    # Valid JSON our stack still cannot take: lone surrogates ("\ud800") cannot be encoded for the
    # database, and absurdly deep nesting exhausts the parser's recursion.
    if isinstance(error, UnicodeError):
        return problem(400, "Bad Request", "The request contains text that is not valid Unicode.")
    if isinstance(error, RecursionError):
        return problem(400, "Bad Request", "The request body is nested too deeply.")
    if database_unavailable(error):  # expected during an outage: one line each, no stack trace
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        log.warning("http.database_unavailable", error=type(error).__name__, reason=reason[0] if reason else "")
        return unavailable()
    log.exception("http.unhandled_error")
    return from_http_exception(InternalServerError())
