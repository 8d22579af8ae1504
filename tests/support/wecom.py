"""A real WeCom (企业微信) API server for tests: `gettoken` and `message/send` over HTTP in a thread, keeping
every request, with answers that can be scripted (HTTP 5xx, a refusal errcode, an expired token, a rate limit,
this server's IP not trusted).

Like tests/support/smtp.py for SMTP: the channel under test speaks real HTTP to it, on a free port.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CORP_ID, SECRET, AGENT_ID = "ww-test-corp", "test-secret-123", 1000002
# What WeCom answers (with HTTP 200) for the errcodes the channel treats apart from a refusal.
ERRMSG = {
    45009: "api freq out of limit",
    45011: "api minute-freq out of limit",
    45033: "user/api concurrent out of limit",
    60020: "not allow to access from your ip, hint: [1700000000_1_abc], from ip: 127.0.0.1",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class WeComServer:
    users: set[str] = field(default_factory=set)  # userids that exist; others come back in `invaliduser`
    requests: list[Request] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # accepted message/send bodies
    # Scripted answers to the next message/send calls, in order: an int is an HTTP status with no body;
    # a dict is the JSON answer (e.g. {"errcode": 81013, "errmsg": "..."}); None is the normal answer.
    # Then the normal answer.
    answers: list[int | dict[str, Any] | None] = field(default_factory=list)
    expires_in: int = 7200
    redirect_to: str | None = None  # set: every request is answered 307 to this base URL (same path and query)
    _valid: set[str] = field(default_factory=set)
    _issued: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if not self._redirected():
                    self._answer(server.handle("GET", self.path, None))

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self._redirected():
                    self._answer(server.handle("POST", self.path, json.loads(raw or b"null")))

            def _redirected(self) -> bool:
                if server.redirect_to is None:
                    return False
                with server._lock:
                    server.requests.append(Request(self.command, urlsplit(self.path).path, {}, None))
                self.send_response(307)
                self.send_header("Location", server.redirect_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True

            def _answer(self, answer: tuple[int, dict[str, Any] | None]) -> None:
                status, body = answer
                data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def env(self) -> dict[str, str]:
        """The settings that point the channel at this server."""
        return {"MOBILITY_WECOM_CORP_ID": CORP_ID, "MOBILITY_WECOM_SECRET": SECRET,
                "MOBILITY_WECOM_AGENT_ID": str(AGENT_ID), "MOBILITY_WECOM_API_URL": self.url}

    def errcode(self, code: int) -> dict[str, Any]:
        """WeCom's answer with `code` (one of ERRMSG), for `answers`."""
        return {"errcode": code, "errmsg": ERRMSG[code]}

    def expire_tokens(self) -> None:
        """Every token handed out so far becomes invalid: message/send answers 42001 for them."""
        with self._lock:
            self._valid.clear()

    def to(self, userid: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if m.get("touser") == userid]

    def calls(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def handle(self, method: str, target: str, body: dict[str, Any] | None) -> tuple[int, dict[str, Any] | None]:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.requests.append(Request(method, parts.path, query, body))
            if method == "GET" and parts.path == "/cgi-bin/gettoken":
                return self._token(query)
            if method == "POST" and parts.path == "/cgi-bin/message/send":
                return self._send(query.get("access_token", ""), body or {})
            return 404, None

    def _token(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if query.get("corpid") != CORP_ID:
            return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != SECRET:
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        self._issued += 1
        token = f"token-{self._issued}"
        self._valid.add(token)
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}

    def _send(self, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if token not in self._valid:
            return 200, {"errcode": 42001 if token.startswith("token-") else 40014,
                         "errmsg": "access_token expired" if token.startswith("token-") else "invalid access_token"}
        scripted = self.answers.pop(0) if self.answers else None
        if scripted is not None:
            return (scripted, None) if isinstance(scripted, int) else (200, scripted)
        if body.get("agentid") != AGENT_ID:
            return 200, {"errcode": 40056, "errmsg": "invalid agentid"}
        if body.get("touser") not in self.users:
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": body.get("touser", "")}
        self.messages.append(body)
        return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": ""}
