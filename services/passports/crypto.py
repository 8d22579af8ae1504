"""Passport numbers at rest: AES-256-GCM under the keyring's current key, bound to the passport's id.

The keyring is a file (settings.passport_keys_file, 0600; in production a mounted secret), one key per line,
`<key-id> <base64 of 32 bytes>`, the first line the current key; blank lines and `#` comments are skipped. A
missing file is created once with a fresh key (as var/session-secret is), so `make run` needs no set-up.

Rotation (docs/operations.md): `mobility passports new-key` puts a fresh key first; `mobility passports rotate`
re-encrypts every row still under an older key; then the old line may be removed. A stored number names the key
it was encrypted with (`number_key`), so rows under the old and the new key read alike in between.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chassis import files

NONCE_BYTES = 12
NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")


class KeyMissing(LookupError):
    """A stored number names a key the keyring no longer has."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]  # key id → 32 bytes, in the file's order
    current: str

    def encrypt(self, number: str, passport_id: str) -> tuple[str, bytes]:
        """(key id, nonce || ciphertext) of a normalised number, bound to its passport."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, number.encode(), passport_id.encode())
        return self.current, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, passport_id: str) -> str:
        key = self.keys.get(key_id)
        if key is None:
            raise KeyMissing(f"the key {key_id!r} is not in the keyring")
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], passport_id.encode()).decode()


def normalised(number: str) -> str:
    """A number as stored: upper case, no spaces or hyphens."""
    return re.sub(r"[\s-]", "", number or "").upper()


def valid(number: str) -> bool:
    return bool(NUMBER.match(number))


def new_key_line() -> str:
    key_id = secrets.token_hex(4)
    return f"{key_id} {base64.b64encode(secrets.token_bytes(32)).decode()}"


def parse(text: str) -> Keyring:
    keys: dict[str, bytes] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key_id, _, encoded = line.partition(" ")
        key = base64.b64decode(encoded.strip(), validate=True)
        if len(key) != 32:
            raise ValueError(f"the passport key {key_id!r} is not 32 bytes")
        keys[key_id] = key
    if not keys:
        raise ValueError("the passport keyring holds no key")
    return Keyring(keys, next(iter(keys)))


def load(path: Path) -> Keyring:
    """The keyring in `path`, created with one fresh key when there is none."""
    if not path.exists():
        files.create_once(path, (new_key_line() + "\n").encode())
    return parse(path.read_text())


def add_key(path: Path) -> str:
    """Put a fresh key first in the keyring (it becomes the current one); returns its id."""
    line = new_key_line()
    existing = path.read_text() if path.exists() else ""
    files.replace(path, (line + "\n" + existing).encode(), mode=0o600)
    return line.split(" ", 1)[0]
