"""One OpenAPI document for the whole public API: the gateway's own paths plus every service's routed paths.

Each service's schemas are renamed `<service>.<Name>` so that two services' `Problem` or `Page` never
collide. A service that is down leaves its paths out (and the document says which), rather than failing.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from werkzeug.exceptions import HTTPException

from chassis.settings import SERVICES
from gateway.forwarding import ROUTES, service_for

bp = Blueprint("openapi", __name__)


def _rename_refs(node: Any, service: str) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("propertyName"), str) and isinstance(node.get("mapping"), dict):  # a discriminator
            return {**node, "mapping": {k: _renamed(v, service) for k, v in node["mapping"].items()}}
        return {
            key: _renamed(value, service) if key == "$ref" and isinstance(value, str) else _rename_refs(value, service)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, service) for item in node]
    return node


def _renamed(ref: str, service: str) -> str:
    return ref.replace("#/components/schemas/", f"#/components/schemas/{service}.")


def _routed_to(path: str, service: str) -> bool:
    resource, _, rest = path.removeprefix("/api/v1/").partition("/")
    return resource in ROUTES and service_for(resource, rest) == service


def merged() -> dict[str, Any]:
    gw = current_app.extensions["gateway"]
    spec = json.loads(json.dumps(current_app.extensions["gateway_api"].spec.to_dict()))
    spec["info"] = {"title": "Mobility API", "version": "v1",
                    "description": "Every public endpoint, through the gateway. Bearer tokens from /api/v1/auth/token."}
    spec.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    missing = []
    for service in SERVICES:
        try:
            upstream = gw.upstreams[service].send("GET", "/openapi.json", b"", {}, b"")
        except HTTPException:
            upstream = None
        if upstream is None or upstream.status != 200:
            missing.append(service)
            continue
        part = _rename_refs(json.loads(upstream.body), service)
        for path, item in part.get("paths", {}).items():
            if _routed_to(path, service):
                spec.setdefault("paths", {})[path] = item
        for name, schema in part.get("components", {}).get("schemas", {}).items():
            spec["components"].setdefault("schemas", {})[f"{service}.{name}"] = schema
        spec["tags"] = spec.get("tags", []) + [t for t in part.get("tags", []) if t not in spec.get("tags", [])]
    if missing:
        spec["info"]["x-unavailable-services"] = missing
    spec["paths"] = dict(sorted(spec.get("paths", {}).items()))
    return spec


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    return jsonify(merged())


@bp.get("/docs/api")
def api_docs() -> str:
    """The API reference as a plain server-rendered page: nothing loaded from elsewhere, no script."""
    return render_template("api_docs.html", spec=merged())
