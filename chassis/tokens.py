"""Service tokens: the short-lived JWTs the gateway mints and every service verifies itself.

EdDSA (Ed25519) only; `aud` is the service, `iss` the gateway; `exp`, `iat`, `aud`, `iss`, `sub` required.
Services hold only the public key. Identity headers are never trusted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chassis import files

ALGORITHMS = ["EdDSA"]
GATEWAY_AUDIENCE = "gateway"  # the audience of user tokens: only the gateway accepts them
REMEMBERED = 1024  # tokens a Verifier remembers as verified, and a Signer as minted, per process (~1–2 MB)


@dataclass(frozen=True)
class Identity:
    username: str
    roles: list[dict[str, Any]] = field(default_factory=list)
    school: str | None = None
    locale: str = "zh"
    email: str | None = None
    name: str | None = None
    scopes: tuple[str, ...] = ()  # set only for external systems (client_credentials): where they may go

    def has_role(self, role: str, school: str | None = None) -> bool:
        return any(
            r.get("role") == role and (school is None or r.get("school") in (None, school)) for r in self.roles
        )

    def claims(self) -> dict[str, Any]:
        return {
            "sub": self.username,
            "roles": self.roles,
            "school": self.school,
            "locale": self.locale,
            "email": self.email,
            "name": self.name,
            **({"scope": " ".join(self.scopes)} if self.scopes else {}),
        }

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        return cls(
            username=claims["sub"],
            roles=list(claims.get("roles") or []),
            school=claims.get("school"),
            locale=claims.get("locale") or "zh",
            email=claims.get("email"),
            name=claims.get("name"),
            scopes=tuple((claims.get("scope") or "").split()),
        )


def ensure_keypair(private_file: Path, public_file: Path) -> None:
    """Create an Ed25519 key pair for local use if none exists (production mounts its own)."""
    if private_file.exists() and public_file.exists():
        return
    if not private_file.exists():
        files.create_once(private_file, _private_pem(Ed25519PrivateKey.generate()))
    # The public half is derived from whichever private key won; keys already listed (a rotation) stay.
    public = _public_pem(private_file)
    listed = public_file.read_bytes() if public_file.exists() else b""
    if public not in listed:
        files.replace(public_file, public + listed)


def key_id(public_key: Any) -> str:
    """The `kid` of a public key: a hash of its raw bytes, so signer and verifiers agree without a registry."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _public_pem(private_file: Path) -> bytes:
    key = serialization.load_pem_private_key(private_file.read_bytes(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def rotate_keypair(private_file: Path, public_file: Path) -> None:
    """Step 1 of a rotation: a new signing key; the public file holds the new key and the old ones, so tokens
    signed before stay valid until they expire."""
    ensure_keypair(private_file, public_file)
    old = public_file.read_bytes()
    key = Ed25519PrivateKey.generate()
    # Public first: a verifier that sees the new public key before any token signed with it is never wrong.
    files.replace(public_file, key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) + old)
    files.replace(private_file, _private_pem(key), 0o600)


def retire_old_keys(private_file: Path, public_file: Path) -> None:
    """Step 2, after the longest token lifetime: only the current key verifies."""
    files.replace(public_file, _public_pem(private_file))


class Signer:
    def __init__(self, private_file: Path, issuer: str) -> None:
        self._key = serialization.load_pem_private_key(private_file.read_bytes(), password=None)
        self.issuer = issuer
        self.public_key = self._key.public_key()
        self.kid = key_id(self.public_key)
        self._minted: dict[tuple[str, int, str], tuple[str, float]] = {}  # → (token, reused until)

    def sign(self, identity: Identity, audience: str, ttl: int) -> str:
        """A new token (its own `jti`) for `identity`, valid for `ttl` seconds at `audience`."""
        now = int(time.time())
        payload = {
            **identity.claims(),
            "aud": audience,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(payload, self._key, algorithm="EdDSA", headers={"kid": self.kid})  # type: ignore[arg-type]

    def reused(self, identity: Identity, audience: str, ttl: int) -> str:
        """The gateway's token for a call to a service: the one minted for the same claims and audience while it
        has more than half its lifetime left, else a new one. The service then finds it among the tokens it
        has verified (Verifier), and neither side repeats the signature's work on every request of a session."""
        key = (audience, ttl, json.dumps(identity.claims(), sort_keys=True))
        minted = self._minted.get(key)
        if minted is not None and time.time() < minted[1]:
            return minted[0]
        issued = int(time.time())  # sign() reads the clock after this: the token's exp ≥ issued + ttl
        token = self.sign(identity, audience, ttl)
        if len(self._minted) >= REMEMBERED:
            self._minted.clear()
        self._minted[key] = (token, issued + ttl / 2)
        return token


class Verifier:
    """Checks tokens against the public keys in one PEM file, chosen by the token's `kid`.

    The file may hold several keys (PEM blocks one after the other): during a key rotation the old and the
    new. It is read on first use (the gateway may create it after a service starts) and again whenever it
    changes on disk, so a rotation needs no restart.
    """

    def __init__(self, public_file: Path, issuer: str, leeway: int = 5) -> None:
        self._public_file = public_file
        self._keys: dict[str, Any] = {}
        self._loaded: tuple[int, int, int] | None = None  # (inode, size, mtime) of the file last read
        self._lock = threading.Lock()
        self._verified: dict[tuple[str, str], tuple[str, str, int]] = {}  # → (claims as JSON, kid, valid until)
        self.issuer = issuer
        self.leeway = leeway

    def keys(self) -> dict[str, Any]:
        stat = self._public_file.stat()
        seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)  # files are replaced, never edited: a new inode
        if seen != self._loaded:
            with self._lock:
                text = self._public_file.read_bytes()
                blocks = [b + b"-----END PUBLIC KEY-----\n" for b in text.split(b"-----END PUBLIC KEY-----")
                          if b.strip()]
                loaded = [serialization.load_pem_public_key(block.strip() + b"\n") for block in blocks]
                self._keys = {key_id(key): key for key in loaded}
                self._loaded = seen
        return self._keys

    def verify(self, token: str, audience: str) -> Identity:
        """The identity a valid token for `audience` carries; a PyJWTError for any other.

        A token that passed is remembered with its audience until it expires: the same bytes are the same
        signature and claims, so only the clock and the key can change the verdict, and both are checked again
        (a retired key refuses its tokens at once). A session's requests then cost one signature check, not
        one each, as a JWT-checking proxy caches them (Envoy's jwt_authn `jwt_cache_config`). Refused tokens
        are not remembered."""
        keys = self.keys()
        known = self._verified.get((token, audience))
        if known is not None and known[1] in keys and time.time() < known[2]:
            return Identity.from_claims(json.loads(known[0]))  # its own copy: no request changes another's
        kid = jwt.get_unverified_header(token).get("kid")
        key = keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise jwt.InvalidKeyError("no public key with this kid")
        claims = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=self.issuer,
            options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            leeway=self.leeway,
        )
        if len(self._verified) >= REMEMBERED:  # bounded: a flood of distinct tokens starts the memory afresh
            self._verified.clear()
        self._verified[(token, audience)] = (json.dumps(claims), kid, int(claims["exp"]) + self.leeway)  # as PyJWT
        return Identity.from_claims(claims)
