"""Routing `/api/v1/<resource>/...` to the owning service with a short-lived JWT whose `aud` is that service.

Upstreams are reached over HTTP (distributed: pooled connections, timeouts) or called in-process as WSGI
apps (embedded). Either way: hop-by-hop and credential headers are dropped, the request id is passed on,
and a service that is down yields 502/504 as problem+json while the others keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import requests
import structlog
from flask import Flask, Response, request
from requests.adapters import HTTPAdapter
from werkzeug.exceptions import BadGateway, GatewayTimeout, NotFound
from werkzeug.test import Client

from chassis.auth import identity_from_request
from chassis.tokens import GATEWAY_AUDIENCE, Signer, Verifier
from chassis.tracing import correlation_id, request_id

ROUTES = {"applications": "applications", "tasks": "reviews", "notifications": "notifications"}
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length", "authorization", "cookie", "set-cookie",
    "x-request-id", "x-correlation-id", "forwarded", "x-forwarded-for", "x-forwarded-host",
}
log = structlog.get_logger(__name__)


@dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Upstream(Protocol):
    def send(self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes) -> UpstreamResponse: ...


class HttpUpstream:
    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def send(self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes) -> UpstreamResponse:
        url = f"{self.base_url}{path}" + (f"?{query.decode('latin-1')}" if query else "")
        try:
            r = self.session.request(
                method, url, headers=headers, data=body, timeout=(3.0, self.timeout), allow_redirects=False
            )
        except requests.Timeout as exc:
            raise GatewayTimeout("The service did not answer in time.") from exc
        except requests.ConnectionError as exc:
            raise BadGateway("The service is unavailable.") from exc
        return UpstreamResponse(r.status_code, list(r.headers.items()), r.content)


class WsgiUpstream:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def send(self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes) -> UpstreamResponse:
        r = Client(self.app).open(path, method=method, query_string=query, headers=headers, data=body)
        return UpstreamResponse(r.status_code, list(r.headers.items()), r.get_data())


def install(app: Flask, upstreams: dict[str, Upstream], signer: Signer, verifier: Verifier, ttl: int) -> None:
    def forward(resource: str, rest: str = "") -> Response:
        service = ROUTES.get(resource)
        if service is None or service not in upstreams:
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
    app.add_url_rule("/api/v1/<resource>", "forward", forward, methods=methods)
    app.add_url_rule("/api/v1/<resource>/<path:rest>", "forward_rest", forward, methods=methods)
