"""Webhooks: which subscriptions want an event, where we may send (no SSRF), and one signed attempt.

Each delivery is the CloudEvent JSON, signed per Standard Webhooks (webhook-id = the event id,
webhook-timestamp, webhook-signature). 2xx: delivered. 5xx, 408, 429, timeouts and connection errors: retried
with exponential backoff for up to 24 h. Any other answer (3xx, other 4xx): failed at once. A run of failures
disables the subscription and tells the admins.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from standardwebhooks import Webhook

RETRY_FOR = timedelta(hours=24)
RETRYABLE = frozenset({408, 429})


class TargetRefused(ValueError):
    """The URL is not one we may send to (scheme, or a private/loopback address without permission)."""


class Unresolvable(TargetRefused):
    """The host name does not resolve (now): refused when subscribing, retried when sending."""


def matches(patterns: list[str], event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address are judged by that address.
        embedded = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in NAT64 or int(address) >> 32 == 0 else None)
        if embedded is not None:
            return _public(embedded)
    return address.is_global and not address.is_multicast


def check_target(url: str, allow_private: bool) -> str:
    """Refuse what we may not call; return the one address to connect to (so DNS cannot change it after)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("The URL must be http(s)://host/...")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Unresolvable(f"The host {parts.hostname!r} does not resolve.") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not allow_private:
        for address in addresses:
            if not _public(address):
                raise TargetRefused(f"The host {parts.hostname!r} resolves to a non-public address ({address}).")
    return str(addresses[0])


class _Pinned(HTTPAdapter):
    """Connects to the address we checked, while TLS still verifies the certificate for the host name."""

    def __init__(self, hostname: str) -> None:
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._hostname
        kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)


def _post(url: str, address: str, body: bytes, headers: dict[str, str], timeout: float) -> requests.Response:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    pinned = parts._replace(netloc=netloc).geturl()
    with requests.Session() as session:
        session.trust_env = False  # no proxies from the environment
        session.mount(f"{parts.scheme}://", _Pinned(parts.hostname or ""))
        return session.post(pinned, data=body, headers={**headers, "Host": parts.netloc}, timeout=timeout,
                            allow_redirects=False)


@dataclass(frozen=True)
class Attempt:
    outcome: str             # delivered | retry | failed
    status_code: int | None
    error: str | None


def valid_secret(secret: str) -> bool:
    try:
        Webhook(secret)
        return True
    except Exception:
        return False


def send(url: str, secret: str, event_id: str, body: str, allow_private: bool, timeout: float = 10.0) -> Attempt:
    try:
        address = check_target(url, allow_private)  # again at send time, and we connect to what we checked
        signature = Webhook(secret).sign(event_id, now := datetime.now(UTC), body)
    except Unresolvable as exc:  # a resolver hiccup is not the receiver's fault
        return Attempt("retry", None, str(exc))
    except TargetRefused as exc:
        return Attempt("failed", None, str(exc))
    except Exception as exc:  # an unusable secret: nothing to retry
        return Attempt("failed", None, f"cannot sign: {exc!r}")
    headers = {
        "content-type": "application/cloudevents+json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    try:
        response = _post(url, address, body.encode("utf-8"), headers, timeout)
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
