"""How the gateway reaches a service: over pooled HTTP with timeouts (distributed) or in-process (embedded).

A service that is down or slow becomes 502/504, raised here and rendered as problem+json by the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import requests
from flask import Flask
from requests.adapters import HTTPAdapter
from werkzeug.exceptions import BadGateway, GatewayTimeout
from werkzeug.test import Client


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
        r = Client(self.app).open(path, method=method, query_string=query.decode("latin-1"), headers=headers, data=body)
        return UpstreamResponse(r.status_code, list(r.headers.items()), r.get_data())
