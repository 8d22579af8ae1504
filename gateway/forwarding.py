"""Routing `/api/v1/<resource>/...` to the owning service with a short-lived JWT whose `aud` is that service.

Upstreams (gateway/upstreams.py) are reached over HTTP or called in-process. Either way: hop-by-hop and
credential headers are dropped, the request id is passed on, and a service that is down yields 502/504 as
problem+json while the others keep working.
"""

from __future__ import annotations

import structlog
from flask import Flask, Response, request
from werkzeug.exceptions import NotFound

from chassis.auth import identity_from_request
from chassis.tokens import GATEWAY_AUDIENCE, Signer, Verifier
from chassis.tracing import correlation_id, request_id
from gateway.upstreams import Upstream

ROUTES = {
    "applications": "applications", "programs": "applications", "partners": "applications",
    "review-tasks": "reviews", "review-chains": "reviews", "review-stats": "reviews",
    "notifications": "notifications", "events": "notifications", "subscriptions": "notifications",
}
# /api/v1/applications/<id>/<sub>: sub-resources another service owns
NESTED = {("applications", "reviews"): "reviews"}
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length", "authorization", "cookie", "set-cookie",
    "x-request-id", "x-correlation-id", "forwarded", "x-forwarded-for", "x-forwarded-host",
    "date", "server",  # the gateway's own response carries these
}
log = structlog.get_logger(__name__)


def install(app: Flask, upstreams: dict[str, Upstream], signer: Signer, verifier: Verifier, ttl: int) -> None:
    def forward(resource: str, rest: str = "") -> Response:
        parts = rest.split("/")
        service = NESTED.get((resource, parts[1]), ROUTES[resource]) if len(parts) == 2 else ROUTES[resource]
        if service not in upstreams:
            raise NotFound(f"No API resource '{resource}'.")
        identity = identity_from_request(verifier, GATEWAY_AUDIENCE)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Authorization"] = f"Bearer {signer.sign(identity, audience=service, ttl=ttl)}"
        headers["X-Request-ID"] = request_id()
        headers["X-Correlation-ID"] = correlation_id()
        path = f"/api/v1/{resource}" + (f"/{rest}" if rest else "")
        upstream = upstreams[service].send(request.method, path, request.query_string, headers, request.get_data())
        log.info("gateway.forwarded", upstream=service, method=request.method, path=path, status=upstream.status)
        response = Response(upstream.body, status=upstream.status)
        for key, value in upstream.headers:
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-type":
                response.headers.add(key, value)
        content_type = dict((k.lower(), v) for k, v in upstream.headers).get("content-type")
        if content_type:
            response.headers["Content-Type"] = content_type
        return response

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    # Only the routed resources: the gateway's own paths (/api/v1/auth/...) keep their 405s, and an unknown
    # resource is a plain 404.
    resource = "<any({}):resource>".format(", ".join(f'"{name}"' for name in sorted(ROUTES)))
    app.add_url_rule(f"/api/v1/{resource}", "forward", forward, methods=methods)
    app.add_url_rule(f"/api/v1/{resource}/<path:rest>", "forward_rest", forward, methods=methods)
