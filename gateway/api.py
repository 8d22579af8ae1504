"""The gateway's own endpoints: tokens (password and client_credentials grants) and the public keys (JWKS)."""

from __future__ import annotations

import json
from typing import Any

import jwt
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import abort

from chassis.blueprint import Blueprint
from chassis.tokens import GATEWAY_AUDIENCE, Identity
from gateway import identity
from gateway.schemas import TOKEN_BODY, JwksResponse, TokenRequest, TokenResponse

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Authentication")
wellknown = Blueprint("wellknown", __name__, url_prefix="/.well-known", description="Keys")
# webargs' json_or_form is one body in two encodings, so the document shows it as a requestBody (not as
# parameters "in: json_or_form", which OpenAPI has no place for); the form encoding is added by Token.post's doc.
blp.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "json_or_form": "application/json"}


def _gw() -> Any:
    return current_app.extensions["gateway"]


def _user(body: dict[str, str]) -> Identity:
    gw = _gw()
    gw.ratelimits.hit("login", request.remote_addr or "-")
    with gw.sessions() as session:
        who = identity.authenticate(session, body["username"], body["password"], gw.lockout)
    if who is None:
        abort(401, message="Unknown username or wrong password.")
    return who


def _client(body: dict[str, str]) -> Identity:
    """client_credentials: the client authenticates with HTTP Basic or client_id/client_secret in the body."""
    gw = _gw()
    auth = request.authorization
    client_id = auth.username if auth and auth.type == "basic" else body.get("client_id")
    secret = auth.password if auth and auth.type == "basic" else body.get("client_secret")
    gw.ratelimits.hit("login", request.remote_addr or "-")
    with gw.sessions() as session:
        client = identity.authenticate_client(session, client_id or "", secret or "")
    if client is None:
        abort(401, message="Unknown client or wrong secret.", error="invalid_client")
    asked = (body.get("scope") or "").split() or list(client.scopes)
    if not set(asked) <= set(client.scopes):
        abort(400, message="The client may not ask for these scopes.", error="invalid_scope",
              errors={"scope": sorted(set(asked) - set(client.scopes))})
    return identity.client_identity(client, asked)


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequest, location="json_or_form")
    @blp.doc(requestBody={"content": {"application/json": {"schema": TOKEN_BODY},
                                      "application/x-www-form-urlencoded": {"schema": TOKEN_BODY}}})
    @blp.response(200, TokenResponse, headers={"Cache-Control": {"schema": {"type": "string"}}})
    def post(self, body: dict[str, str]) -> Any:
        """A bearer token: `password` grant for people, `client_credentials` for registered external systems."""
        who = _user(body) if body["grant_type"] == "password" else _client(body)
        gw = _gw()
        ttl = gw.settings.access_token_ttl
        out = {
            "access_token": gw.signer.sign(who, audience=GATEWAY_AUDIENCE, ttl=ttl),
            "token_type": "Bearer",
            "expires_in": ttl,
        }
        if who.scopes:
            out["scope"] = " ".join(who.scopes)
        return out, {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1


@wellknown.route("/jwks.json")
class Jwks(MethodView):
    @wellknown.response(200, JwksResponse)
    def get(self) -> Any:
        """Public keys (JWKS) that verify the tokens this gateway signs: during a key rotation, old and new."""
        keys = []
        for kid, key in _gw().verifier.keys().items():
            jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key))
            jwk.update({"use": "sig", "alg": "EdDSA", "kid": kid})
            keys.append(jwk)
        return {"keys": keys}
