"""The gateway's own endpoints: user tokens and the public keys that verify service tokens."""

from __future__ import annotations

import json
from typing import Any

import jwt
from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from chassis.tokens import GATEWAY_AUDIENCE
from gateway import identity
from gateway.schemas import TokenRequest, TokenResponse

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Authentication")
wellknown = Blueprint("wellknown", __name__, url_prefix="/.well-known", description="Keys")


def _gw() -> Any:
    return current_app.extensions["gateway"]


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(200, TokenResponse, headers={"Cache-Control": {"schema": {"type": "string"}}})
    def post(self, body: dict[str, str]) -> Any:
        """Exchange a username and password for a bearer token."""
        gw = _gw()
        with gw.sessions() as session:
            who = identity.authenticate(session, body["username"], body["password"])
        if who is None:
            abort(401, message="Unknown username or wrong password.")
        ttl = gw.settings.access_token_ttl
        body = {
            "access_token": gw.signer.sign(who, audience=GATEWAY_AUDIENCE, ttl=ttl),
            "token_type": "Bearer",
            "expires_in": ttl,
        }
        return body, {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1


@wellknown.route("/jwks.json")
class Jwks(MethodView):
    def get(self) -> Any:
        """Public keys (JWKS) that verify the tokens this gateway signs."""
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(_gw().signer.public_key))
        jwk.update({"use": "sig", "alg": "EdDSA", "kid": _gw().signer.kid})
        return jsonify(keys=[jwk])
