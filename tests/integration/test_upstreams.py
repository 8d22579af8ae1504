"""The gateway's HTTP upstream: answers pass through as they are; a service that refuses the connection
is a 502, one that does not answer in time a 504."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.exceptions import BadGateway, GatewayTimeout

from gateway.upstreams import HttpUpstream
from tests.support.ports import free_port


class _Service(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/slow"):
            time.sleep(2)
        answer = b'{"echo": "' + body + b'", "path": "' + self.path.encode() + b'"}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Link", '</next>; rel="next"')
        self.send_header("X-Seen-Auth", self.headers.get("Authorization", ""))
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_answer_passes_through_with_its_status_headers_and_body(service: str) -> None:
    upstream = HttpUpstream(service, timeout=5)
    for _ in range(2):  # the second request reuses the kept-alive connection
        r = upstream.send("POST", "/api/v1/things", b"a=1&b=%3F", {"Authorization": "Bearer t"}, b"hi")
        assert r.status == 201 and r.body == b'{"echo": "hi", "path": "/api/v1/things?a=1&b=%3F"}'
        headers = dict(r.headers)
        assert headers["Link"] == '</next>; rel="next"' and headers["X-Seen-Auth"] == "Bearer t"


def test_a_slow_service_is_a_504_and_a_refusing_one_a_502(service: str) -> None:
    with pytest.raises(GatewayTimeout):
        HttpUpstream(service, timeout=0.5).send("POST", "/slow", b"", {}, b"x")
    with pytest.raises(BadGateway):
        HttpUpstream(f"http://127.0.0.1:{free_port()}", timeout=5).send("POST", "/", b"", {}, b"x")
