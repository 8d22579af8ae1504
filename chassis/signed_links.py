"""Signed links: a token one service mints into a URL and another checks, under a keyring file both mount.

The first use is the partner's answer link (/partner/nominations/<token>): placements checks it when the partner
opens it; notifications mints it when it renders the e-mail to the partner's contact. The credential is therefore
made only where it is needed and never travels on the bus: nomination.link_issued carries the nomination's id and
its single-use nonce, which are worthless without the keyring (review B3 of issue 20).

A keyring file holds one secret a line (`#` comments and blank lines ignored), the first the current one: it signs
new tokens, the others still verify the tokens already mailed, so a new secret can be put first without breaking
them. A missing file is created once with a fresh secret (as var/passport-keys is), so `make run` needs no set-up;
in production it is a mounted secret (settings `partner_link_keys_file`).

The token is itsdangerous' URLSafeTimedSerializer over a small JSON payload with a salt per kind of link, so a
token signed for one purpose never verifies for another.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from chassis import files

PARTNER_ANSWER = "mobility.partner-answer"  # the salt of the partner's answer link
PARTNER_ANSWER_PATH = "/partner/nominations/"  # the gateway's page that opens it


class BadLink(Exception):
    """Not signed here (or not for this purpose, or not the shape expected)."""


class ExpiredLink(BadLink):
    """Signed here, but older than the `max_age_seconds` asked for."""


def load_keyring(path: Path) -> list[str]:
    """The keyring's secrets, current first; the file is created with one fresh secret when missing."""
    if not path.exists():
        files.create_once(path, (secrets.token_urlsafe(48) + "\n").encode())
    found = [line.strip() for line in path.read_text().splitlines()
             if line.strip() and not line.strip().startswith("#")]
    if not found:
        raise ValueError(f"the keyring {path} holds no secret")
    return found


def _serializer(keyring: list[str], salt: str) -> URLSafeTimedSerializer:
    # itsdangerous signs with the LAST key of the list and verifies with any: the file's first line goes last.
    return URLSafeTimedSerializer(list(reversed(keyring)), salt=salt)


def sign(keyring: list[str], salt: str, payload: dict[str, Any]) -> str:
    return _serializer(keyring, salt).dumps(payload)


def verify(keyring: list[str], salt: str, token: str, max_age_seconds: int | None = None) -> dict[str, Any]:
    """The payload of a token this keyring signed for `salt`; BadLink (or ExpiredLink) otherwise."""
    try:
        payload = _serializer(keyring, salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise ExpiredLink("This link has expired.") from exc
    except BadSignature as exc:
        raise BadLink("This link is not valid.") from exc
    if not isinstance(payload, dict):
        raise BadLink("This link is not valid.")
    return payload


def partner_answer_token(keyring: list[str], nomination_id: str, nonce: str) -> str:
    """The token of a nomination's answer link: its id and its single-use nonce, signed."""
    return sign(keyring, PARTNER_ANSWER, {"n": nomination_id, "k": nonce})


def partner_answer_url(public_base_url: str, keyring: list[str], nomination_id: str, nonce: str) -> str:
    return f"{public_base_url.rstrip('/')}{PARTNER_ANSWER_PATH}{partner_answer_token(keyring, nomination_id, nonce)}"


def read_partner_answer(keyring: list[str], token: str, max_age_seconds: int | None = None) -> tuple[str, str]:
    """(nomination id, nonce) of a partner's answer token; BadLink or ExpiredLink otherwise."""
    payload = verify(keyring, PARTNER_ANSWER, token, max_age_seconds)
    if not isinstance(payload.get("n"), str) or not isinstance(payload.get("k"), str):
        raise BadLink("This link is not valid.")
    return payload["n"], payload["k"]
