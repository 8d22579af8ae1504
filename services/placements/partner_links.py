"""The partner's answer link as placements checks it: the refusals, and the nomination row's word on a link.

The token (chassis/signed_links.py: itsdangerous over {"n": nomination id, "k": nonce}, signed with the keyring file
of settings `partner_link_keys_file`) is minted by notifications when it renders the partner's e-mail; placements
only checks it here, and signs one itself only in tests and tools (`sign`). The link never travels on the bus.

The signature proves the link was made here; the nomination row decides the rest: its `link_nonce` must be the
one signed (a new link replaces an older one), `link_expires_at` must be ahead (the clock is an argument, so tests
move it), and `link_used_at` empty (a link answers once; answer_by_link claims it by compare-and-set). Each
refusal is its own exception, so the partner's page can say which it is.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from chassis import signed_links
from chassis.settings import Settings


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
    """The keyring's secrets, current first (created with one fresh secret when missing)."""
    return signed_links.load_keyring(path)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def sign(keyring: list[str], nomination_id: str, nonce: str) -> str:
    return signed_links.partner_answer_token(keyring, nomination_id, nonce)


def expiry(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


def read(keyring: list[str], token: str, max_age_seconds: int | None = None) -> Claim:
    """What a token claims, if this service signed it (Tampered otherwise). `max_age_seconds` is a backstop on
    the signature's own time stamp; the row's `link_expires_at` is what `check` holds the link to."""
    try:
        nomination_id, nonce = signed_links.read_partner_answer(keyring, token, max_age_seconds)
    except signed_links.ExpiredLink as exc:
        raise Expired("This link has expired.") from exc
    except signed_links.BadLink as exc:
        raise Tampered("This link is not valid.") from exc
    return Claim(nomination_id, nonce)


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
