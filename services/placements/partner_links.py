"""The partner's answer link: signing and checking the token in /partner/nominations/<token>.

The token is itsdangerous' URLSafeTimedSerializer over {"n": nomination id, "k": nonce}, signed with the current
secret of a keyring file (settings `partner_link_keys_file`, env MOBILITY_PARTNER_LINK_KEYS_FILE; in production a
mounted secret). The file holds one secret a line, the first the current one; older lines still verify, so a
new secret can be put first without breaking the links already mailed. A missing file is created once with a fresh
secret (as var/passport-keys is), so `make run` needs no set-up.

The signature proves the link was made here; the nomination row decides the rest: its `link_nonce` must be the
one signed (a new link replaces an older one), `link_expires_at` must be ahead (the clock is an argument, so tests
move it), and `link_used_at` empty (a link answers once). Each refusal is its own exception, so the partner's page
can say which it is.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from chassis import files
from chassis.settings import Settings

SALT = "mobility.partner-answer"  # a token signed for anything else never verifies here


class LinkRefused(Exception):
    """The link cannot be used; `reason` names why for the page (tampered | expired | used | closed)."""

    reason = "tampered"


class Tampered(LinkRefused):
    reason = "tampered"


class Expired(LinkRefused):
    reason = "expired"


class Used(LinkRefused):
    reason = "used"


class Closed(LinkRefused):
    """The nomination was answered by the office or cancelled: nothing is left to answer."""

    reason = "closed"


@dataclass(frozen=True)
class Claim:
    nomination_id: str
    nonce: str


def keys_file(settings: Settings) -> Path:
    """Where the keyring is (settings `partner_link_keys_file`, default <var>/partner-link-keys)."""
    return settings.partner_link_keys_file


def link_days(settings: Settings) -> int:
    """How long a link is good for (settings `partner_link_days`, default 30)."""
    return settings.partner_link_days


def load_secrets(path: Path) -> list[str]:
    """The keyring's secrets, current first; the file is created with one fresh secret when missing."""
    if not path.exists():
        files.create_once(path, (secrets.token_urlsafe(48) + "\n").encode())
    found = [line.strip() for line in path.read_text().splitlines()
             if line.strip() and not line.strip().startswith("#")]
    if not found:
        raise ValueError(f"the partner link keyring {path} holds no secret")
    return found


def _serializer(keyring: list[str]) -> URLSafeTimedSerializer:
    # itsdangerous signs with the LAST key of the list and verifies with any: the file's first line goes last.
    return URLSafeTimedSerializer(list(reversed(keyring)), salt=SALT)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def sign(keyring: list[str], nomination_id: str, nonce: str) -> str:
    return _serializer(keyring).dumps({"n": nomination_id, "k": nonce})


def expiry(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


def read(keyring: list[str], token: str, max_age_seconds: int | None = None) -> Claim:
    """What a token claims, if this service signed it (Tampered otherwise). `max_age_seconds` is a backstop on
    the signature's own time stamp; the row's `link_expires_at` is what `check` holds the link to."""
    try:
        data = _serializer(keyring).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise Expired("This link has expired.") from exc
    except BadSignature as exc:
        raise Tampered("This link is not valid.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("n"), str) or not isinstance(data.get("k"), str):
        raise Tampered("This link is not valid.")
    return Claim(data["n"], data["k"])


def check(claim: Claim, link_nonce: str | None, expires_at: datetime | None, used_at: datetime | None,
          status: str, now: datetime) -> None:
    """May the link of `claim` answer the nomination whose link fields these are, at `now`? Raises why not."""
    if link_nonce is None or not secrets.compare_digest(claim.nonce, link_nonce):
        raise Tampered("This link is not valid.")  # a signed link later replaced reads like a forged one
    if used_at is not None:
        raise Used("This link was used already: the answer was recorded.")
    if status != "nominated":
        raise Closed("This nomination is no longer waiting for an answer.")
    if expires_at is None or now >= expires_at:
        raise Expired("This link has expired.")
