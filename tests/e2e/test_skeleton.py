"""The walking skeleton end to end, in both topologies: token → submit → review task → inbox → email."""

from __future__ import annotations

from tests.support import wait
from tests.support.api import Gateway, example
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack


def _inbox(gw: Gateway, user: str) -> list[dict]:
    r = gw.call(user, "GET", "/api/v1/notifications")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_submitted_application_reaches_reviewer_and_both_are_notified(gateway: Gateway, smtp: SmtpSink) -> None:
    application = gateway.apply("alice")
    assert application["status"] == "draft"
    gateway.upload_required("alice", application)

    r = gateway.submit("alice", application["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"

    tasks = wait.until(
        lambda: [t for t in gateway.call("coord.cs", "GET", "/api/v1/review-tasks").json()
                 if t["application_id"] == application["id"]],
        what="a level-1 task in coord.cs's queue",
    )
    assert len(tasks) == 1
    assert tasks[0]["level"] == 1 and tasks[0]["role"] == "school_coordinator" and tasks[0]["school"] == "cs"
    # A coordinator of another school does not see it.
    assert gateway.call("coord.me", "GET", "/api/v1/review-tasks").json() == []

    mine = wait.until(lambda: _inbox(gateway, "alice"), what="alice's in-app notification")
    assert [n["event_type"] for n in mine if application["id"] in n["link"]] == ["application.submitted"]
    theirs = wait.until(lambda: _inbox(gateway, "coord.cs"), what="coord.cs's in-app notification")
    assert [n["event_type"] for n in theirs if application["id"] in n["link"]] == ["review.task_created"]
    assert _inbox(gateway, "bob") == []

    def mails(address: str) -> list:
        return [m for m in smtp.to(address) if application["id"] in m.get_body().get_content()]

    alice_mail = wait.until(lambda: mails("alice@demo.mobility.local"), what="email to alice")
    coord_mail = wait.until(lambda: mails("coord.cs@demo.mobility.local"), what="email to coord.cs")
    # alice's locale is en
    assert alice_mail[0]["Subject"] == "Application submitted: European Engineering Exchange 2031 (Fall 2031)"
    assert "新的审核任务" in coord_mail[0]["Subject"]  # coord.cs reads Chinese

    # The review task's event flowed back: the application is now in review.
    wait.until(
        lambda: gateway.call("alice", "GET", f"/api/v1/applications/{application['id']}").json()["status"]
        == "in_review",
        what="application in_review",
    )
    assert len(mails("alice@demo.mobility.local")) == 1 and len(mails("coord.cs@demo.mobility.local")) == 1


def test_applications_are_private_to_their_owner(gateway: Gateway) -> None:
    application = gateway.apply("alice")
    assert gateway.call("bob", "GET", f"/api/v1/applications/{application['id']}").status_code == 404
    assert gateway.submit("bob", application["id"], version=1).status_code == 404
    assert gateway.mine("bob") == []


def test_bad_input_is_a_problem_and_changes_nothing(gateway: Gateway) -> None:
    before = gateway.mine("alice")
    r = gateway.call("alice", "POST", "/api/v1/applications", {
        "kind": "student_exchange", "status": "approved", "program_id": "not-an-id", "form": {},
    })
    assert r.status_code == 422
    assert r.headers["Content-Type"] == "application/problem+json"
    errors = r.json()["errors"]
    assert set(errors) == {"status", "program_id"}
    assert gateway.mine("alice") == before


def test_token_endpoint_contract(gateway: Gateway) -> None:
    r = gateway.http.post(f"{gateway.base_url}/api/v1/auth/token", json={"username": "alice", "password": "demo"})
    body = r.json()
    assert r.status_code == 200 and body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert set(body) == {"access_token", "token_type", "expires_in"}
    wrong = gateway.http.post(f"{gateway.base_url}/api/v1/auth/token", json={"username": "alice", "password": "x"})
    assert wrong.status_code == 401 and wrong.headers["Content-Type"] == "application/problem+json"
    none = gateway.http.get(f"{gateway.base_url}/api/v1/applications")
    assert none.status_code == 401


def test_a_service_that_is_down_is_a_502_problem_and_the_others_keep_working(stack: Stack) -> None:
    gw = Gateway(stack.gateway_url)
    stack.kill("api-notifications")
    try:
        down = gw.call("alice", "GET", "/api/v1/notifications")
        assert down.status_code == 502
        assert down.headers["Content-Type"] == "application/problem+json"
        assert down.headers["X-Request-ID"]
        assert gw.call("alice", "GET", "/api/v1/applications").status_code == 200
        assert gw.apply_and_submit("alice")["status"] == "submitted"
    finally:
        stack.start_api("notifications")
        stack.wait_ready("notifications")
    assert gw.call("alice", "GET", "/api/v1/notifications").status_code == 200


def test_awkward_requests_get_clear_problems_not_500s(gateway: Gateway) -> None:
    base = gateway.base_url
    # a query string is passed through to the service
    assert gateway.call("alice", "GET", "/api/v1/applications?page=1").status_code == 200
    # the gateway's own routes keep their methods
    wrong_method = gateway.http.get(f"{base}/api/v1/auth/token")
    assert wrong_method.status_code == 405 and wrong_method.headers["Content-Type"] == "application/problem+json"
    unknown = gateway.http.get(f"{base}/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["detail"]
    # text that cannot be stored, and nesting the parser cannot take
    lone_surrogate = gateway.http.post(f"{base}/api/v1/auth/token", data='{"username": "\\ud800", "password": "x"}',
                                       headers={"Content-Type": "application/json"})
    assert lone_surrogate.status_code == 400 and "Unicode" in lone_surrogate.json()["detail"]
    deep = gateway.http.post(f"{base}/api/v1/auth/token", data='{"a":' * 100_000,
                             headers={"Content-Type": "application/json"})
    assert deep.status_code == 400
    body = example("student_exchange")
    body["form"]["motivation"] = " \t "
    blank = gateway.call("alice", "POST", "/api/v1/applications", body)
    assert blank.status_code == 422 and set(blank.json()["errors"]) == {"motivation"}
    token = gateway.http.post(f"{base}/api/v1/auth/token", json={"username": "alice", "password": "demo"})
    assert token.headers["Cache-Control"] == "no-store"
    draft = gateway.apply("alice")
    eleven_mb = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)
    too_big = gateway.upload("alice", draft["id"], "transcript", eleven_mb)
    assert too_big.status_code == 413 and too_big.headers["Content-Type"] == "application/problem+json"
    disguised = gateway.upload("alice", draft["id"], "transcript", b"<html><body>hi</body></html>", "cv.pdf")
    assert disguised.status_code == 415
    anonymous = gateway.http.get(f"{base}/api/v1/applications")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
