"""The public verification page of a 任务批件: /verify/<token>, the address its QR code holds. No sign-in.

Anyone holding the document can check it is genuine and still valid: the page shows its number, the members'
names, the countries, the dates and its status (valid, superseded by a later revision, or cancelled), and nothing
else. The token (192 random bits) is the credential; the page is rate-limited per address all the same
(MOBILITY_RATE_LIMIT_VERIFY), and an unknown or malformed token is a plain "not found". The gateway asks the
applications service under its own identity, since the reader has none.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import BadGateway, GatewayTimeout

from chassis.tokens import Identity
from gateway import forwarding
from gateway.web.services import ServiceDown
from gateway.web.widgets import country_name

bp = Blueprint("web_verify", __name__)

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")  # secrets.token_urlsafe's alphabet
VERIFIER = Identity(username="gateway:verify", roles=[{"role": "verifier", "school": None}], name="verification page")
# The token is in the address: never sent on as a Referer, never kept by a cache or listed by a search engine.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


def _lookup(token: str) -> dict[str, Any] | None:
    """The document's public fields from the applications service, or None for no such token."""
    try:
        upstream = forwarding.call("applications", VERIFIER, "GET", f"/api/v1/approvals/verify/{token}")
    except (BadGateway, GatewayTimeout) as exc:
        raise ServiceDown("applications") from exc
    if upstream.status == 404:
        return None
    if upstream.status != 200:
        raise ServiceDown("applications")
    return json.loads(upstream.body)  # type: ignore[no-any-return]


@bp.get("/verify/<token>")
def verify(token: str) -> Response:
    current_app.extensions["gateway"].ratelimits.hit("verify", request.remote_addr or "-")
    document = _lookup(token) if TOKEN.match(token) else None
    body = render_template("verify.html", document=document, country_name=country_name)
    return Response(body, status=200 if document else 404, mimetype="text/html", headers=PRIVATE)
