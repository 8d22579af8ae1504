"""How the pages talk to the services: the same routes and tokens as API clients, as the signed-in user.

The pages hold no business rules; the services decide and the pages show what they said (422 errors become
form errors next to their fields). A service that is down raises ServiceDown, shown as a friendly page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

from flask import Response, abort, g
from werkzeug.exceptions import BadGateway, GatewayTimeout, HTTPException

from gateway import forwarding
from gateway.web import messages


class ServiceDown(HTTPException):
    code = 503
    description = "A part of the system is not answering right now."

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service


_NEXT_PAGE = re.compile(r'[?&]cursor=([^&>]+)[^>]*>;\s*rel="next"')  # the services' Link header


@dataclass
class Reply:
    status: int
    data: Any
    headers: dict[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, from a `Link: <...?cursor=...>; rel="next"` header (queues, the inbox)."""
        following = _NEXT_PAGE.search(self.headers.get("Link", ""))
        return unquote(following.group(1)) if following else None

    def field_errors(self) -> dict[str, list[str]]:
        """A 422's `errors` map flattened to `field` / `field.sub` → messages, for showing next to fields."""
        flat: dict[str, list[str]] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(f"{prefix}.{key}" if prefix else str(key), value)
            elif isinstance(node, list) and all(isinstance(m, str) for m in node):
                flat.setdefault(prefix, []).extend(node)
            else:
                flat.setdefault(prefix, []).append(str(node))

        if isinstance(self.data, dict):
            walk("", self.data.get("errors") or {})
        return flat

    @property
    def message(self) -> str:
        if isinstance(self.data, dict):
            return str(self.data.get("detail") or self.data.get("title") or "")
        return ""

    def explain(self, fallback: str) -> str:
        """The service's reason (translated where the catalog knows it), else `fallback`."""
        return translated(self.message) or fallback


def translated(message: str) -> str:
    """A service's (English) message in the reader's language when the catalog has it (or one of its patterns:
    web/messages.py); as it came otherwise. Plain text, never marked safe (it may quote stored data)."""
    return messages.translated(message)


def request(
    method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
    files: tuple[str, str, bytes, str] | None = None, fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Call `/api/v1/<path>` as the signed-in user. `files` is (field, filename, content, content type)."""
    resource, _, rest = path.partition("/")
    service = forwarding.service_for(resource, rest)
    headers = dict(headers or {})
    body = b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif files is not None:
        body, headers["Content-Type"] = _multipart(files, fields or {})
    query = urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")}).encode()
    try:
        upstream = forwarding.call(service, g.user, method, f"/api/v1/{path}", query, headers, body)
    except (BadGateway, GatewayTimeout) as exc:
        raise ServiceDown(service) from exc
    if upstream.status in (502, 503, 504):
        raise ServiceDown(service)
    kind = dict((k.lower(), v) for k, v in upstream.headers).get("content-type", "")
    data = json.loads(upstream.body) if "json" in kind and upstream.body else None
    return Reply(upstream.status, data, dict(upstream.headers), upstream.body)


def get(path: str, **params: Any) -> Reply:
    return request("GET", path, params=params)


def file_response(reply: Reply, headers: tuple[str, ...]) -> Response:
    """A service's file (a document, a PDF) passed on to the browser with the named headers; 404 when refused."""
    if not reply.ok:
        abort(404)
    response = Response(reply.body, status=200)
    for key in headers:
        if key in reply.headers:
            response.headers[key] = reply.headers[key]
    return response


def _multipart(file: tuple[str, str, bytes, str], fields: dict[str, str]) -> tuple[bytes, str]:
    from urllib3 import encode_multipart_formdata

    field, filename, content, content_type = file
    body, content_type_header = encode_multipart_formdata({**fields, field: (filename, content, content_type)})
    return body, content_type_header
