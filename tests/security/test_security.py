"""The security suite, through the gateway as attackers come: object-level and function-level access,
tokens, mass assignment, uploads, links in mail, and log injection. (CSRF, sessions, open redirects and
lockout are in tests/integration/test_web_pages.py and test_gateway_identity.py; JWT attacks at the services
in test_service_tokens.py.)"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from chassis.settings import SERVICES, Settings
from gateway import identity
from mobility.embedded import Embedded
from tests.support.api import PDF, example
from tests.support.wait import until

UNLIMITED = "1000000/minute"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    system = Embedded(Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("security") / "var"), "MOBILITY_SMTP_PORT": "9",
        "MOBILITY_PUBLIC_BASE_URL": "https://mobility.example.edu",
        "MOBILITY_RATE_LIMIT_LOGIN": UNLIMITED, "MOBILITY_RATE_LIMIT_SUBMIT": UNLIMITED,
        "MOBILITY_RATE_LIMIT_UPLOAD": UNLIMITED,
    })).start()
    yield system
    system.stop()


class As:
    """Requests through the gateway as one person."""

    def __init__(self, system: Embedded, username: str) -> None:
        self.client: FlaskClient = system.gateway.test_client()
        token = self.client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
        self.headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.open(path, method=method, headers={**self.headers, **kwargs.pop("headers", {})},
                                **kwargs)


def submitted(system: Embedded, username: str = "alice") -> dict[str, Any]:
    me = As(system, username)
    created = me("POST", "/api/v1/applications", json=example("student_exchange")).get_json()
    for doc_type in ("transcript", "language_certificate"):
        r = me("POST", f"/api/v1/applications/{created['id']}/documents",
               data={"doc_type": doc_type, "file": (io.BytesIO(PDF), "scan.pdf")})
        assert r.status_code == 201, r.get_json()
    r = me("POST", f"/api/v1/applications/{created['id']}/submit", json={"version": 1})
    assert r.status_code == 200, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def test_object_level_access_two_students_and_two_schools(system: Embedded) -> None:
    application = submitted(system)
    path = f"/api/v1/applications/{application['id']}"
    document = As(system, "alice")("GET", f"{path}/documents").get_json()[0]
    reads = [path, f"{path}/history", f"{path}/documents", f"{path}/documents/{document['id']}", f"{path}/reviews"]
    bob, coord_me, coord_cs = As(system, "bob"), As(system, "coord.me"), As(system, "coord.cs")
    for url in reads:
        assert bob("GET", url).status_code == 404, url  # another student: as if it did not exist
        assert coord_me("GET", url).status_code in (403, 404), url  # a reviewer of another school
    for url in reads[:4]:
        assert coord_cs("GET", url).status_code == 200, url  # the reviewer in scope
    writes = [("PATCH", path, {"form": {"gpa": "1.00"}, "version": 2}), ("POST", f"{path}/withdraw", {"version": 2}),
              ("POST", f"{path}/submit", {"version": 2}), ("DELETE", f"{path}/documents/{document['id']}", None)]
    for method, url, body in writes:
        assert bob(method, url, json=body).status_code == 404, url
    assert bob("POST", f"{path}/documents", data={"doc_type": "other", "file": (io.BytesIO(PDF), "x.pdf")}
               ).status_code == 404
    until(lambda: As(system, "coord.cs")("GET", f"/api/v1/review-tasks?application_id={application['id']}"
                                          ).get_json(), what="the level-1 task")
    task = coord_cs("GET", f"/api/v1/review-tasks?application_id={application['id']}").get_json()[0]
    assert coord_me("GET", f"/api/v1/review-tasks/{task['id']}").status_code == 404
    assert coord_me("POST", f"/api/v1/review-tasks/{task['id']}/claim").status_code == 404
    alice = As(system, "alice")
    until(lambda: alice("GET", path).get_json()["status"] == "in_review", what="in review")
    theirs = until(lambda: alice("GET", "/api/v1/notifications").get_json()["items"], what="alice notified")
    mine = bob("GET", "/api/v1/notifications").get_json()["items"]
    assert not {n["id"] for n in theirs} & {m["id"] for m in mine}
    assert bob("POST", f"/api/v1/notifications/{theirs[0]['id']}/read").status_code == 404


def test_function_level_access(system: Embedded) -> None:
    application = submitted(system)
    until(lambda: As(system, "coord.cs")("GET", f"/api/v1/review-tasks?application_id={application['id']}"
                                          ).get_json(), what="the level-1 task")
    task = As(system, "coord.cs")("GET", f"/api/v1/review-tasks?application_id={application['id']}").get_json()[0]
    alice, coord = As(system, "alice"), As(system, "coord.cs")
    decision = {"outcome": "approve", "comment": "ok", "application_version": task["application_version"]}
    assert alice("POST", f"/api/v1/review-tasks/{task['id']}/decision", json=decision).status_code == 403
    assert alice("GET", "/api/v1/review-tasks").status_code == 403
    assert alice("GET", "/api/v1/review-stats").status_code == 403
    chain = coord("GET", "/api/v1/review-chains/student_exchange").get_json()
    assert coord("PUT", "/api/v1/review-chains/student_exchange", json={"levels": chain["levels"]}).status_code == 403
    assert coord("POST", "/api/v1/partners", json={"name": "X", "country": "DE", "region": "europe"}
                 ).status_code == 403
    assert coord("GET", "/api/v1/subscriptions").status_code == 403
    assert coord("GET", "/api/v1/events").status_code == 403
    with system.gateway.extensions["gateway"].sessions() as db, db.begin():
        _client, secret = identity.register_client(db, "hr", "HR", ["events:read"])
    client = system.gateway.test_client()
    token = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials", "client_id": "hr",
                                                    "client_secret": secret}).get_json()["access_token"]
    for method, url in (("GET", "/api/v1/applications"), ("GET", "/api/v1/notifications"),
                        ("GET", "/api/v1/review-tasks"), ("POST", "/api/v1/subscriptions")):
        assert client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("owner", SERVICES)
def test_a_service_called_directly_wants_its_own_token(system: Embedded, owner: str) -> None:
    service = system.apps[owner].test_client()
    path = {"applications": "/api/v1/applications", "reviews": "/api/v1/review-chains",
            "notifications": "/api/v1/notifications", "mobilities": "/api/v1/mobilities",
            "passports": "/api/v1/passports", "placements": "/api/v1/agreements"}[owner]
    assert service.get(path).status_code == 401
    user_token = As(system, "admin").headers  # a gateway token (aud = gateway), not one for this service
    assert service.get(path, headers=user_token).status_code == 401
    signer = system.gateway.extensions["gateway"].signer
    from chassis.tokens import Identity

    other = next(s for s in SERVICES if s != owner)
    admin = Identity(username="admin", roles=[{"role": "admin", "school": None}])
    assert service.get(path, headers={"Authorization": f"Bearer {signer.sign(admin, other, 60)}"}).status_code == 401
    assert service.get(path, headers={"Authorization": f"Bearer {signer.sign(admin, owner, 60)}"}).status_code == 200
    assert service.get(path, headers={"X-User": "admin", "X-Roles": "admin"}).status_code == 401


def test_server_owned_fields_cannot_be_assigned(system: Embedded) -> None:
    alice = As(system, "alice")
    for field, value in (("status", "approved"), ("version", 99), ("applicant", "bob"), ("id", "x"),
                         ("school", "me"), ("submitted_at", "2030-01-01T00:00:00Z")):
        body = {**example("student_exchange"), field: value}
        response = alice("POST", "/api/v1/applications", json=body)
        assert response.status_code == 422 and field in response.get_json()["errors"], field
    draft = alice("POST", "/api/v1/applications", json=example("student_exchange")).get_json()
    patched = alice("PATCH", f"/api/v1/applications/{draft['id']}", json={"status": "approved", "version": 1})
    assert patched.status_code == 422
    assert alice("GET", f"/api/v1/applications/{draft['id']}").get_json()["status"] == "draft"


@pytest.mark.parametrize(("name", "content", "status"), [
    ("letter.pdf", b"<!doctype html><html><script>alert(1)</script></html>", 415),
    ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 415),
    ("huge.pdf", PDF + b"0" * (10 * 1024 * 1024), 413),
])
def test_uploads_that_are_not_what_they_claim_are_refused(system: Embedded, name: str, content: bytes,
                                                          status: int) -> None:
    alice = As(system, "alice")
    draft = alice("POST", "/api/v1/applications", json=example("student_exchange")).get_json()
    response = alice("POST", f"/api/v1/applications/{draft['id']}/documents",
                     data={"doc_type": "transcript", "file": (io.BytesIO(content), name)})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert alice("GET", f"/api/v1/applications/{draft['id']}/documents").get_json() == []


def test_traversal_and_nul_in_file_names_change_nothing_outside(system: Embedded) -> None:
    alice = As(system, "alice")
    draft = alice("POST", "/api/v1/applications", json=example("student_exchange")).get_json()
    stored = alice("POST", f"/api/v1/applications/{draft['id']}/documents",
                   data={"doc_type": "transcript", "file": (io.BytesIO(PDF), "../../../etc/passwd\x00.pdf")})
    assert stored.status_code == 201
    assert "/" not in stored.get_json()["filename"] and "\x00" not in stored.get_json()["filename"]
    documents = system.settings.documents_dir
    names = [p.name for p in documents.iterdir()]
    assert stored.get_json()["id"] in names  # stored under its generated id ...
    assert all(re.fullmatch(r"[0-9a-f-]{36}", name) for name in names)  # ... and nothing under a given name
    download = alice("GET", f"/api/v1/applications/{draft['id']}/documents/{stored.get_json()['id']}")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_a_poisoned_host_header_does_not_reach_mail_links(system: Embedded) -> None:
    alice = As(system, "alice")
    created = alice("POST", "/api/v1/applications", json=example("student_exchange"),
                    headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"}).get_json()
    for doc_type in ("transcript", "language_certificate"):
        alice("POST", f"/api/v1/applications/{created['id']}/documents",
              data={"doc_type": doc_type, "file": (io.BytesIO(PDF), "scan.pdf")}, headers={"Host": "evil.example"})
    alice("POST", f"/api/v1/applications/{created['id']}/submit", json={"version": 1},
          headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})

    def links() -> list[str]:
        items = alice("GET", "/api/v1/notifications").get_json()["items"]
        return [n["link"] for n in items if created["id"] in (n["link"] or "")]

    found = until(links, what="the submission notice")
    assert all(link.startswith("https://mobility.example.edu/") for link in found)
    assert not any("evil" in n["body"] for n in alice("GET", "/api/v1/notifications").get_json()["items"])


def test_line_breaks_in_names_cannot_forge_log_lines(tmp_path: Path) -> None:
    """A log line per event, whatever a user typed: CR/LF and quotes stay inside one JSON line."""
    forged = 'eve\n{"event": "auth.admin_granted", "level": "info"}\r\nend'
    script = (
        "import structlog\nfrom chassis import logging as l\nl.configure('INFO', service='gateway')\n"
        f"structlog.get_logger().info({forged!r}, username={forged!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["username"] == forged and "\n" not in record["event"]
    assert not re.search(r'^\{"event": "auth.admin_granted"', result.stderr, re.M)
