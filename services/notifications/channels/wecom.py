"""The WeCom (企业微信) channel: application messages to a person's WeCom userid, sent over plain HTTPS
(`requests`) by the shared delivery loop (sender.py), which this module gives its transport.

On only when MOBILITY_WECOM_CORP_ID is set; a recipient without a WeCom id gets no row. The access token
is cached per process with its expiry (settings → token), fetched again shortly before it expires and
when WeCom says it is invalid (errcode 40014, 42001, 40001: one fresh token, one more try).
- gettoken unreachable or refused: Unavailable (nothing counted; the loop backs off).
- HTTP 5xx, 429, a connection error, errcode -1 (WeCom busy): BROKEN, retried with backoff like email.
- Any other errcode, or `invaliduser` naming the user: FAILED with WeCom's errmsg, never retried; so is
  an address that is not one userid (`a|b` or `@all` would reach others).
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
from services.notifications.models import Notification, Recipient
from services.notifications.sender import BROKEN, FAILED, SENT, Outcome, Sender, Unavailable

TIMEOUT = 10.0
INVALID_TOKEN = {40001, 40014, 42001}  # invalid secret/token, invalid token, token expired
BUSY = -1  # "系统繁忙": WeCom asks to try again later
EARLY = 300.0  # seconds before its expiry that a token is fetched again, so none expires in flight
BUTTON = {"zh": "详情", "en": "Open"}  # at most 4 characters
USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


class WeCom:
    name = "wecom"
    initial_status = "pending"
    due = "notifications.wecom_due"

    def enabled(self, settings: Settings) -> bool:
        return bool(settings.wecom_corp_id)

    def address(self, recipient: Recipient) -> str | None:
        return (recipient.contacts or {}).get("wecom") or None

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
            token, expires = self._held.get(key, ("", 0.0))
            if token and time.monotonic() < expires - EARLY:
                return token
            token, lifetime = _fetch(http, s)
            self._held[key] = (token, time.monotonic() + lifetime)
            return token

    def forget(self, s: Settings, token: str) -> None:
        """WeCom called `token` invalid: drop it unless another thread has replaced it already."""
        key = (s.wecom_api_url, s.wecom_corp_id, s.wecom_secret)
        with self._lock:
            if self._held.get(key, ("",))[0] == token:
                del self._held[key]


TOKENS = Tokens()


def _fetch(http: requests.Session, s: Settings) -> tuple[str, float]:
    try:
        reply = http.get(f"{s.wecom_api_url}/cgi-bin/gettoken",
                         params={"corpid": s.wecom_corp_id, "corpsecret": s.wecom_secret}, timeout=TIMEOUT)
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
                              timeout=TIMEOUT)
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
        if errcode == BUSY or errcode in INVALID_TOKEN:  # still invalid after a fresh token: try again later
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
