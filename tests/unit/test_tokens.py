"""What a Verifier remembers of the tokens it verified, and the service tokens a Signer reuses: the same verdicts
as checking every time (expiry, audience, retired keys), with one signature check per token."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from chassis import tokens
from chassis.tokens import Identity, Signer, Verifier, ensure_keypair

ALICE = Identity(username="alice", roles=[{"role": "teacher", "school": "cs"}], school="cs")


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "jwt.key", tmp_path / "jwt.pub"
    ensure_keypair(private, public)
    return private, public


def test_a_token_is_checked_once_then_known(keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    private, public = keys
    token = Signer(private, "gw").sign(ALICE, "applications", 60)
    decoded: list[str] = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda t, *a, **k: decoded.append(t) or real(t, *a, **k))
    verifier = Verifier(public, "gw")
    assert [verifier.verify(token, "applications") for _ in range(3)] == [ALICE] * 3
    assert decoded == [token]


def test_a_known_token_is_refused_once_it_expires(keys: tuple[Path, Path]) -> None:
    private, public = keys
    verifier = Verifier(public, "gw", leeway=0)
    token = Signer(private, "gw").sign(ALICE, "applications", 2)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert verifier.verify(token, "applications") == ALICE
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(jwt.ExpiredSignatureError):
        verifier.verify(token, "applications")


def test_a_known_token_is_refused_at_another_audience_and_once_its_key_is_retired(keys: tuple[Path, Path]) -> None:
    private, public = keys
    verifier = Verifier(public, "gw")
    token = Signer(private, "gw").sign(ALICE, "applications", 60)
    assert verifier.verify(token, "applications") == ALICE
    with pytest.raises(jwt.InvalidAudienceError):
        verifier.verify(token, "reviews")
    tokens.rotate_keypair(private, public)
    assert verifier.verify(token, "applications") == ALICE  # both keys listed during the rotation
    tokens.retire_old_keys(private, public)
    with pytest.raises(jwt.InvalidKeyError):
        verifier.verify(token, "applications")


def test_a_service_token_is_reused_for_the_same_claims_and_audience_for_half_its_lifetime(
    keys: tuple[Path, Path],
) -> None:
    private, public = keys
    signer = Signer(private, "gw")
    first = signer.reused(ALICE, "applications", 2)
    assert signer.reused(ALICE, "applications", 2) == first
    promoted = Identity(username="alice", roles=[*ALICE.roles, {"role": "dean", "school": "cs"}], school="cs")
    assert signer.reused(promoted, "applications", 2) != first  # other claims: its own token
    assert signer.reused(ALICE, "reviews", 2) != first
    assert Verifier(public, "gw").verify(signer.reused(promoted, "applications", 2), "applications") == promoted
    time.sleep(1.05)  # half of two seconds: a fresh one, so a reused token always has half its life left
    assert signer.reused(ALICE, "applications", 2) != first
