"""Routing `/api/v1/<resource>/...` to the owning service with a short-lived JWT whose `aud` is that service.

Upstreams (gateway/upstreams.py) are reached over HTTP or called in-process. Either way: hop-by-hop and
credential headers are dropped, the request id is passed on, and a service that is down yields 502/504 as
problem+json while the others keep working. External systems (client_credentials tokens) reach only the
resources their scopes name; submissions and uploads are rate-limited per user.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import structlog
from flask import Flask, Response, current_app, request
from werkzeug.exceptions import Forbidden, NotFound

from chassis.auth import identity_from_request
from chassis.tokens import GATEWAY_AUDIENCE, Identity
from chassis.tracing import correlation_id, loggable, request_id
from gateway.upstreams import UpstreamResponse

ROUTES = {
    "applications": "applications", "programs": "applications", "partners": "applications",
    "stats": "applications", "kinds": "applications", "approval-series": "applications",
    "trip-rules": "applications", "allowances": "applications", "trip-plans": "applications",
    "review-tasks": "reviews", "review-chains": "reviews", "review-stats": "reviews", "review-cases": "reviews",
    "review-conditions": "reviews", "calendar": "reviews", "publicity": "reviews",
    "notifications": "notifications", "events": "notifications", "subscriptions": "notifications",
    "mobilities": "mobilities",
    "passports": "passports", "passport-audit": "passports",
    "passport-settings": "passports",
    "agreements": "placements", "places": "placements", "selection-rounds": "placements",
    "offers": "placements", "nominations": "placements",
}
# /api/v1/applications/<id>/<sub>: sub-resources another service owns
NESTED = {("applications", "reviews"): "reviews"}
# what a client_credentials token may reach: resource → (scope, methods)
SCOPED = {
    "events": ("events:read", {"GET"}),
    "subscriptions": ("subscriptions:manage", {"GET", "POST", "PATCH", "DELETE"}),
}
RATE_LIMITED = [
    (re.compile(r"^applications/[^/]+/submit$"), "submit"),
    (re.compile(r"^applications/[^/]+/documents$"), "upload"),
    (re.compile(r"^mobilities/[^/]+/files$"), "upload"),
    (re.compile(r"^passports/import$"), "upload"),
    (re.compile(r"^agreements/[^/]+/document$"), "upload"),
]
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length", "authorization", "cookie", "set-cookie",
    "x-request-id", "x-correlation-id", "forwarded", "x-forwarded-for", "x-forwarded-host",
    "date", "server",  # the gateway's own response carries these
}
log = structlog.get_logger(__name__)


def service_for(resource: str, rest: str = "") -> str:
    parts = rest.split("/")
    return NESTED.get((resource, parts[1]), ROUTES[resource]) if len(parts) == 2 else ROUTES[resource]


def call(
    service: str, identity: Identity, method: str, path: str, query: bytes = b"",
    headers: dict[str, str] | None = None, body: bytes = b"",
) -> UpstreamResponse:
    """One request to a service on behalf of `identity` (used by the API routes and by the web pages, so the
    same rate limits apply to both)."""
    gw = current_app.extensions["gateway"]
    if service not in gw.upstreams:
        raise NotFound("No such API resource.")
    if method == "POST":
        for pattern, limit in RATE_LIMITED:
            if pattern.match(path.removeprefix("/api/v1/")):
                gw.ratelimits.hit(limit, identity.username)
    headers = dict(headers or {})
    headers["Authorization"] = f"Bearer {gw.signer.reused(identity, service, gw.settings.service_token_ttl)}"
    headers["X-Request-ID"] = request_id()
    headers["X-Correlation-ID"] = correlation_id()
    upstream = gw.upstreams[service].send(method, path, query, headers, body)
    log.info("gateway.forwarded", upstream=service, method=method, path=loggable(path), status=upstream.status)
    return upstream


def _check_scope(identity: Identity, resource: str) -> None:
    """An external system (client_credentials) reaches only what its scopes name; people are not scoped."""
    if not identity.has_role("client_system"):
        return
    scope, methods = SCOPED.get(resource, (None, set()))
    if scope not in identity.scopes or request.method not in methods:
        raise Forbidden("This client's scopes do not cover this request.")


def install(app: Flask) -> None:
    def forward(resource: str, rest: str = "") -> Response:
        gw = current_app.extensions["gateway"]
        identity = identity_from_request(gw.verifier, GATEWAY_AUDIENCE)
        _check_scope(identity, resource)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        # Flask gave the path decoded; sent on as it is, a "%3F" in it would become a query string.
        path = quote(f"/api/v1/{resource}" + (f"/{rest}" if rest else ""), safe="/:@!$&'()*+,;=-._~")
        upstream = call(service_for(resource, rest), identity, request.method, path, request.query_string,
                        headers, request.get_data())
        return to_response(upstream)

    # OPTIONS too: the owning service knows which methods a path has (its Allow header, its 405s).
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    # Only the routed resources: the gateway's own paths (/api/v1/auth/...) keep their 405s, and an unknown
    # resource is a plain 404.
    resource = "<any({}):resource>".format(", ".join(f'"{name}"' for name in sorted(ROUTES)))
    for rule, endpoint in ((f"/api/v1/{resource}", "forward"), (f"/api/v1/{resource}/<path:rest>", "forward_rest")):
        app.add_url_rule(rule, endpoint, forward, methods=methods, provide_automatic_options=False)


def to_response(upstream: UpstreamResponse) -> Response:
    response = Response(upstream.body, status=upstream.status)
    for key, value in upstream.headers:
        if key.lower() not in HOP_BY_HOP and key.lower() != "content-type":
            response.headers.add(key, value)
    content_type = dict((k.lower(), v) for k, v in upstream.headers).get("content-type")
    if content_type:
        response.headers["Content-Type"] = content_type
    return response
