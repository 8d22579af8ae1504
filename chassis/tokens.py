"""Service tokens: the short-lived JWTs the gateway mints and every service verifies itself.

EdDSA (Ed25519) only; `aud` is the service, `iss` the gateway; `exp`, `iat`, `aud`, `iss`, `sub` required.
Services hold only the public key. Identity headers are never trusted.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHMS = ["EdDSA"]
GATEWAY_AUDIENCE = "gateway"  # the audience of user tokens: only the gateway accepts them


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
    private_file.parent.mkdir(parents=True, exist_ok=True)
    if not private_file.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = private_file.with_name(f".{private_file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            os.link(tmp, private_file)  # atomic, and fails if another process got there first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    # The public half is always derived from whichever private key won.
    key = serialization.load_pem_private_key(private_file.read_bytes(), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    tmp = public_file.with_name(f".{public_file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(public)
    os.replace(tmp, public_file)


class Signer:
    def __init__(self, private_file: Path, issuer: str) -> None:
        self._key = serialization.load_pem_private_key(private_file.read_bytes(), password=None)
        self.issuer = issuer
        self.public_key = self._key.public_key()
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, identity: Identity, audience: str, ttl: int) -> str:
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


class Verifier:
    def __init__(self, public_file: Path, issuer: str) -> None:
        self._public_file = public_file
        self._key: Any = None
        self.issuer = issuer

    def _public_key(self) -> Any:
        if self._key is None:  # read on first use: the gateway may create it after we start
            self._key = serialization.load_pem_public_key(self._public_file.read_bytes())
        return self._key

    def verify(self, token: str, audience: str) -> Identity:
        claims = jwt.decode(
            token,
            self._public_key(),
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=self.issuer,
            options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            leeway=5,
        )
        return Identity.from_claims(claims)
