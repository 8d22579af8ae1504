"""Request and response schemas of the gateway's own endpoints."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class TokenRequest(Schema):
    """RFC 6749 token request, as JSON or as a form: the password grant for people (the default when a
    username is given) and the client_credentials grant for registered external systems."""

    grant_type = fields.String(load_default=None, validate=validate.OneOf(["password", "client_credentials"]))
    username = fields.String(validate=validate.Length(min=1, max=80))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=1024))
    client_id = fields.String(validate=validate.Length(min=1, max=80))
    client_secret = fields.String(load_only=True, validate=validate.Length(min=1, max=1024))
    scope = fields.String(validate=validate.Length(max=1000), metadata={"description": "space-separated scopes"})

    @validates_schema
    def _grant_fields(self, data: dict, **_: object) -> None:
        grant = data.get("grant_type") or ("password" if "username" in data else None)
        if grant is None:
            raise ValidationError("Give grant_type, or a username and password.", "grant_type")
        data["grant_type"] = grant
        if grant == "password":
            missing = [name for name in ("username", "password") if name not in data]
            if missing:
                raise ValidationError({name: ["Missing data for required field."] for name in missing})


# What _grant_fields checks, said in JSON Schema for the API document: a client_credentials request names its
# grant (the client may authenticate with HTTP Basic instead of body fields); otherwise the grant is the
# password grant (given, null or left out) and needs a username and a password.
TOKEN_BODY = {"allOf": [TokenRequest], "anyOf": [
    {"required": ["grant_type"], "properties": {"grant_type": {"const": "client_credentials"}}},
    {"required": ["username", "password"], "properties": {"grant_type": {"enum": ["password", None]}}},
]}


class JwksResponse(Schema):
    keys = fields.List(fields.Dict(), metadata={"description": "JWKs (OKP, Ed25519), one per current key"})


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    scope = fields.String()
