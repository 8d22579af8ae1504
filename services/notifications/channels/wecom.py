"""The WeCom (企业微信) channel: application messages to a person's WeCom userid, sent over plain HTTPS
(`requests`) by the shared delivery loop (sender.py), which this module gives its transport.

On only when MOBILITY_WECOM_CORP_ID is set; a recipient without a WeCom id gets no row. The access token
is cached per process with its expiry (settings → token), fetched again shortly before it expires and
when WeCom says it is invalid (errcode 40014, 42001, 40001: one fresh token, one more try).
- gettoken unreachable or refused: Unavailable (nothing counted; the loop backs off).
- HTTP 5xx, 429, a connection error, errcode -1 (WeCom busy) or a rate limit (45009, 45011, 45033, which
  come with HTTP 200): BROKEN, retried with backoff like email.
- errcode 60020 (this server's IP is not among the app's trusted IPs): a configuration outage, not the
  message's fault: Unavailable, so the rows wait uncounted and the loop logs sender.wecom_unavailable.
- Any other errcode, or `invaliduser` naming the user: FAILED with WeCom's errmsg, never retried; so is
  an address that is not one userid (`a|b` or `@all` would reach others).
Redirects are not followed: they would carry the secret or the token to another host.
Secrets never reach the logs or `last_error`: the corp secret and the token are scrubbed from errors.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import requests
from sqlalchemy import Engine

from chassis.settings import Settings
from eventbus import catalog
from services.notifications.models import Notification, Recipient
from services.notifications.sender import BROKEN, FAILED, SENT, Outcome, Sender, Unavailable

TIMEOUT = 10.0
INVALID_TOKEN = {40001, 40014, 42001}  # invalid secret/token, invalid token, token expired
BUSY = -1  # "系统繁忙": WeCom asks to try again later
# api freq out of limit, too many calls for the account or the app, user/api concurrent out of limit
RATE_LIMITED = {45009, 45011, 45033}
IP_NOT_ALLOWED = 60020  # "not allow to access from your ip": the app's trusted IPs lack ours
EARLY = 300.0  # seconds before its expiry that a token is fetched again, so none expires in flight
BUTTON = {"zh": "详情", "en": "Open"}  # at most 4 characters
USERID = re.compile(catalog.property_pattern("user.registered", "contacts", "wecom"))  # what the events carry


class WeCom:
    name = "wecom"
    initial_status = "pending"
    due = "notifications.wecom_due"

    def enabled(self, settings: Settings) -> bool:
        return bool(settings.wecom_corp_id)

    def address(self, recipient: Recipient) -> str | None:
        return (recipient.contacts or {}).get(self.name) or None

    def worker(self, settings: Settings, engine: Engine, wake: threading.Event) -> Sender:
        return Sender(Api(settings), engine, wake)


CHANNEL = WeCom()


class Tokens:
    """Access tokens per (API, corp id, secret), with their expiry; shared by every sender in the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str, str], tuple[str, float]] = {}

    def get(self, http: requests.Session, s: Settings) -> str:
        key = (s.wecom_api_url, s.wecom_corp_id, s.wecom_secret)
        with self._lock:  # one fetch at a time: the others then find the fresh token
            token, refresh_at = self._held.get(key, ("", 0.0))
            if token and time.monotonic() < refresh_at:
                return token
            token, lifetime = _fetch(http, s)
            self._held[key] = (token, time.monotonic() + refresh_after(lifetime))
            return token

    def forget(self, s: Settings, token: str) -> None:
        """WeCom called `token` invalid: drop it unless another thread has replaced it already."""
        key = (s.wecom_api_url, s.wecom_corp_id, s.wecom_secret)
        with self._lock:
            if self._held.get(key, ("",))[0] == token:
                del self._held[key]


TOKENS = Tokens()


def refresh_after(lifetime: float) -> float:
    """Seconds a token of `lifetime` is used: until EARLY before its expiry, but at least half its life, so a
    short-lived token (expires_in <= EARLY) is still reused instead of fetched again for every message."""
    return max(lifetime / 2, lifetime - EARLY)


def _fetch(http: requests.Session, s: Settings) -> tuple[str, float]:
    try:
        reply = http.get(f"{s.wecom_api_url}/cgi-bin/gettoken",
                         params={"corpid": s.wecom_corp_id, "corpsecret": s.wecom_secret}, timeout=TIMEOUT,
                         allow_redirects=False)
        answer = reply.json() if reply.status_code == 200 else {}
    except (requests.RequestException, ValueError) as exc:
        raise Unavailable(f"gettoken: {_scrub(repr(exc), s.wecom_secret)}") from None
    if reply.status_code != 200 or answer.get("errcode", 0) != 0 or not answer.get("access_token"):
        raise Unavailable(f"gettoken: HTTP {reply.status_code} {answer.get('errcode')} {answer.get('errmsg')}")
    return str(answer["access_token"]), float(answer.get("expires_in") or 7200)


class Api:
    channel = CHANNEL.name
    outage = "sender.wecom_unavailable"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open(self) -> requests.Session:
        http = requests.Session()
        try:
            TOKENS.get(http, self.settings)  # no token, no point in trying the batch
        except Unavailable:
            http.close()
            raise
        return http

    def close(self, http: requests.Session) -> None:
        http.close()

    def send(self, http: requests.Session, n: Notification) -> Outcome:
        if not single_user(n.address or ""):  # "a|b" names several people and "@all" the whole company
            return Outcome(FAILED, f"not a single WeCom userid: {n.address!r}")
        for last_try in (False, True):
            try:
                token = TOKENS.get(http, self.settings)
            except Unavailable as exc:
                return Outcome(BROKEN, str(exc))
            outcome, errcode = self._post(http, token, n)
            if errcode in INVALID_TOKEN and not last_try:
                TOKENS.forget(self.settings, token)
                continue
            return outcome
        raise AssertionError("unreachable")

    def _post(self, http: requests.Session, token: str, n: Notification) -> tuple[Outcome, int]:
        url = f"{self.settings.wecom_api_url}/cgi-bin/message/send"
        try:
            reply = http.post(url, params={"access_token": token}, json=message(n, self.settings.wecom_agent_id),
                              timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            return Outcome(BROKEN, _scrub(repr(exc), token, self.settings.wecom_secret)), 0
        if reply.status_code >= 500 or reply.status_code == 429:
            return Outcome(BROKEN, f"HTTP {reply.status_code}"), 0
        try:
            answer: dict[str, Any] = reply.json() if reply.status_code == 200 else {}
        except ValueError:
            return Outcome(BROKEN, "HTTP 200 without JSON"), 0
        if reply.status_code != 200:
            return Outcome(FAILED, f"HTTP {reply.status_code}"), 0
        errcode, errmsg = int(answer.get("errcode", 0)), str(answer.get("errmsg", ""))
        if errcode == IP_NOT_ALLOWED:  # every message would get it: wait for the operators, count nothing
            raise Unavailable(f"message/send: {errcode} {errmsg} (add this server's public IP to the WeCom "
                              "app's trusted IPs)")
        if errcode == BUSY or errcode in INVALID_TOKEN or errcode in RATE_LIMITED:
            # busy, rate-limited, or the token still invalid after a fresh one: try again later
            return Outcome(BROKEN, f"{errcode} {errmsg}"), errcode
        if errcode != 0:
            return Outcome(FAILED, f"{errcode} {errmsg}"), errcode
        if n.address in str(answer.get("invaliduser") or "").split("|"):
            return Outcome(FAILED, f"invaliduser {n.address}: {errmsg}"), 0
        return Outcome(SENT), 0


def single_user(userid: str) -> bool:
    """One WeCom userid: 1-64 letters, digits, `_ - . @`, and not `@all` (everyone in the company)."""
    return bool(USERID.fullmatch(userid)) and userid.lower() != "@all"


def message(n: Notification, agent_id: int) -> dict[str, Any]:
    """A text card (title, text, a button to the link) when there is a link, else plain text; cut to the
    byte limits WeCom sets (title 128, description 512, text 2048)."""
    text = n.body.removesuffix(f"\n\n{n.link}\n").strip() if n.link else n.body.strip()
    base = {"touser": n.address, "agentid": agent_id}
    if n.link:
        return {**base, "msgtype": "textcard", "textcard": {
            "title": _cut(n.subject, 128), "description": _cut(text, 512), "url": n.link,
            "btntxt": BUTTON.get(n.locale, BUTTON["zh"])}}
    return {**base, "msgtype": "text", "text": {"content": _cut(f"{n.subject}\n{text}", 2048)}}


def _cut(value: str, limit: int) -> str:
    return value.encode()[:limit].decode(errors="ignore")


def _scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
