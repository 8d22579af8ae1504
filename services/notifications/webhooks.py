"""Webhooks: which subscriptions want an event, where we may send (no SSRF), and one signed attempt.

Each delivery is the CloudEvent JSON, signed per Standard Webhooks (webhook-id = the event id,
webhook-timestamp, webhook-signature). 2xx: delivered. 5xx, 408, 429, timeouts and connection errors: retried
with exponential backoff for up to 24 h. Any other 4xx: failed at once. A run of failures disables the
subscription and tells the admins.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests
from standardwebhooks import Webhook

RETRY_FOR = timedelta(hours=24)
RETRYABLE = frozenset({408, 429})


class TargetRefused(ValueError):
    """The URL is not one we may send to (scheme, or a private/loopback address without permission)."""


def matches(patterns: list[str], event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


def check_target(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("The URL must be http(s)://host/...")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise TargetRefused(f"The host {parts.hostname!r} does not resolve.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise TargetRefused(f"The host {parts.hostname!r} resolves to a non-public address ({address}).")


@dataclass(frozen=True)
class Attempt:
    outcome: str             # delivered | retry | failed
    status_code: int | None
    error: str | None


def send(url: str, secret: str, event_id: str, body: str, allow_private: bool, timeout: float = 10.0) -> Attempt:
    try:
        check_target(url, allow_private)  # again at send time: DNS may have changed since subscribing
    except TargetRefused as exc:
        return Attempt("failed", None, str(exc))
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/cloudevents+json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, now, body),
    }
    try:
        response = requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=timeout,
                                 allow_redirects=False)
    except requests.RequestException as exc:
        return Attempt("retry", None, f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return Attempt("delivered", code, None)
    if code >= 500 or code in RETRYABLE:
        return Attempt("retry", code, response.text[:500])
    return Attempt("failed", code, response.text[:500])


def next_attempt(created_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` tries, or None once the 24 hours are used up."""
    at = now + timedelta(seconds=min(2 ** attempts, 3600))
    return at if at - created_at <= RETRY_FOR else None
