"""Services verify the gateway's tokens themselves: no token, wrong audience, forged or expired → 401."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from chassis.settings import Settings
from chassis.tokens import Identity, Signer, ensure_keypair
from mobility import registry
from tests.support.api import example

ALICE = Identity(username="alice", roles=[{"role": "teacher", "school": "cs"}], school="cs")


@pytest.fixture
def setup(tmp_path: Path) -> tuple[FlaskClient, Signer, Settings]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path)})
    ensure_keypair(settings.jwt_private_key_file, settings.jwt_public_key_file)  # type: ignore[arg-type]
    from chassis import migrate

    migrate.upgrade("applications", settings.database_url("applications"))
    app = registry.create_app("applications", settings)
    return app.test_client(), Signer(settings.jwt_private_key_file, settings.jwt_issuer), settings  # type: ignore[arg-type]


def _get(client: FlaskClient, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = client.get("/api/v1/applications", headers=headers)
    if response.status_code == 401:
        assert response.headers["Content-Type"] == "application/problem+json"
    return response.status_code


def test_a_token_for_this_service_is_accepted(setup) -> None:  # type: ignore[no-untyped-def]
    client, signer, _ = setup
    assert _get(client, signer.sign(ALICE, audience="applications", ttl=60)) == 200


def test_no_token_or_a_token_for_another_service_is_refused(setup) -> None:  # type: ignore[no-untyped-def]
    client, signer, _ = setup
    assert _get(client, None) == 401
    assert _get(client, signer.sign(ALICE, audience="reviews", ttl=60)) == 401
    assert _get(client, signer.sign(ALICE, audience="gateway", ttl=60)) == 401


def test_forged_expired_and_algorithm_tricks_are_refused(setup) -> None:  # type: ignore[no-untyped-def]
    client, signer, settings = setup
    now = int(time.time())
    claims = {"sub": "alice", "aud": "applications", "iss": settings.jwt_issuer, "iat": now, "exp": now + 60}
    assert _get(client, jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                                   headers={"kid": signer.kid})) == 401  # another key under our kid
    assert _get(client, jwt.encode(claims, None, algorithm="none", headers={"kid": signer.kid})) == 401
    public_pem = Path(settings.jwt_public_key_file).read_bytes()  # type: ignore[arg-type]
    forged = jwt.api_jws.PyJWS()
    forged._algorithms["HS256"] = jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256)
    forged._algorithms["HS256"].prepare_key = lambda key: key  # type: ignore[method-assign]
    hs = forged.encode(jwt.utils.force_bytes(__import__("json").dumps(claims)), public_pem, algorithm="HS256")
    assert _get(client, hs) == 401  # HS256 "signed" with the public key
    expired = {**claims, "iat": now - 600, "exp": now - 300}
    assert _get(client, jwt.encode(expired, signer._key, algorithm="EdDSA", headers={"kid": signer.kid})) == 401
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    assert _get(client, jwt.encode(no_exp, signer._key, algorithm="EdDSA", headers={"kid": signer.kid})) == 401
    not_yet = {**claims, "nbf": now + 600}
    assert _get(client, jwt.encode(not_yet, signer._key, algorithm="EdDSA", headers={"kid": signer.kid})) == 401
    wrong_iss = {**claims, "iss": "someone-else"}
    assert _get(client, jwt.encode(wrong_iss, signer._key, algorithm="EdDSA", headers={"kid": signer.kid})) == 401
    good = signer.sign(ALICE, audience="applications", ttl=60)
    head, body, sig = good.split(".")
    tampered = jwt.utils.base64url_encode(jwt.utils.base64url_decode(body).replace(b"alice", b"bobby")).decode()
    assert _get(client, f"{head}.{tampered}.{sig}") == 401


def test_identity_headers_are_not_trusted(setup) -> None:  # type: ignore[no-untyped-def]
    client, signer, _ = setup
    assert client.get("/api/v1/applications", headers={"X-User": "alice", "X-Roles": "admin"}).status_code == 401
    bob = Identity(username="bob", roles=[{"role": "student", "school": "cs"}], school="cs")
    alice_token = signer.sign(ALICE, audience="applications", ttl=60)
    created = client.post("/api/v1/applications", headers={"Authorization": f"Bearer {alice_token}"},
                          json=example("faculty_exchange"))
    assert created.status_code == 201
    # bob's token plus headers claiming to be alice: the token decides, alice's application stays hidden
    bob_token = signer.sign(bob, audience="applications", ttl=60)
    spoof = {"Authorization": f"Bearer {bob_token}", "X-User": "alice", "X-Forwarded-User": "alice", "X-Roles": "admin"}
    assert client.get("/api/v1/applications", headers=spoof).json["items"] == []
    assert client.get(f"/api/v1/applications/{created.json['id']}", headers=spoof).status_code == 404


def test_a_rejected_token_says_nothing_about_why(setup) -> None:  # type: ignore[no-untyped-def]
    client, signer, _ = setup
    response = client.get("/api/v1/applications",
                          headers={"Authorization": f"Bearer {signer.sign(ALICE, audience='reviews', ttl=60)}"})
    assert response.status_code == 401
    assert "audience" not in response.get_data(as_text=True).lower()
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_keys_rotate_without_refusing_tokens_already_issued(setup) -> None:  # type: ignore[no-untyped-def]
    client, old_signer, settings = setup
    from chassis import tokens

    private, public = settings.jwt_private_key_file, settings.jwt_public_key_file
    before = old_signer.sign(ALICE, audience="applications", ttl=60)
    assert _get(client, before) == 200

    tokens.rotate_keypair(private, public)  # step 1: new signing key, both public keys listed
    new_signer = Signer(private, settings.jwt_issuer)
    assert new_signer.kid != old_signer.kid
    after = new_signer.sign(ALICE, audience="applications", ttl=60)
    assert _get(client, after) == 200  # the service re-read the changed file, no restart
    assert _get(client, before) == 200  # tokens signed before the rotation still work
    tokens.ensure_keypair(private, public)  # a gateway (re)start must not drop the old key
    assert _get(client, before) == 200

    tokens.retire_old_keys(private, public)  # step 2, after the longest token lifetime
    assert _get(client, before) == 401
    assert _get(client, after) == 200
