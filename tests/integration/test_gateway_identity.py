"""The gateway's identity on PostgreSQL: lockout and rate limits that hold across workers, the
client_credentials grant, and the account CLI."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from chassis.tokens import GATEWAY_AUDIENCE, Verifier
from eventbus.tables import outbox
from gateway import demo, identity
from gateway.models import User
from gateway.upstreams import UpstreamResponse
from mobility.cli import main
from tests.support.service import ServiceUnderTest, start_service


def _gateway(tmp_path: Path, pg_urls: dict[str, str], **env: str) -> ServiceUnderTest:
    gw = start_service("gateway", tmp_path, pg_urls["gateway"], **env)
    with gw.app.extensions["gateway"].sessions() as session, session.begin():
        demo.seed(session)
    return gw


def _token(gw: ServiceUnderTest, **body: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = gw.client.post("/api/v1/auth/token", json=body)
    return response.status_code, response.get_json()


def test_lockout_holds_across_gateway_workers(tmp_path: Path, pg_urls: dict[str, str]) -> None:
    env = {"MOBILITY_LOGIN_MAX_FAILURES": "3", "MOBILITY_LOCKOUT_SECONDS": "600"}
    one = _gateway(tmp_path, pg_urls, **env)
    two = start_service("gateway", tmp_path, pg_urls["gateway"], **env)  # another worker, same database
    assert _token(one, username="alice", password="wrong")[0] == 401
    assert _token(two, username="alice", password="wrong")[0] == 401
    assert _token(one, username="alice", password="wrong")[0] == 401  # the third failure locks
    locked = _token(two, username="alice", password="demo")
    unknown = _token(two, username="no-such-user", password="demo")
    assert locked == unknown  # the right password is refused, and a locked account looks like any failure
    assert locked[0] == 401
    assert _token(one, username="bob", password="demo")[0] == 200  # others are unaffected
    with one.app.extensions["gateway"].sessions() as session:
        assert session.get(User, "alice").locked_until is not None


def test_a_success_resets_the_failure_count(tmp_path: Path, pg_urls: dict[str, str]) -> None:
    gw = _gateway(tmp_path, pg_urls, MOBILITY_LOGIN_MAX_FAILURES="3")
    for _ in range(2):
        _token(gw, username="alice", password="wrong")
    assert _token(gw, username="alice", password="demo")[0] == 200
    for _ in range(2):
        _token(gw, username="alice", password="wrong")
    assert _token(gw, username="alice", password="demo")[0] == 200


def test_a_hash_made_with_older_parameters_is_upgraded_at_login(tmp_path: Path, pg_urls: dict[str, str]) -> None:
    from argon2 import PasswordHasher

    gw = _gateway(tmp_path, pg_urls)
    old = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash("demo")  # argon2-cffi's default
    with gw.app.extensions["gateway"].sessions() as session, session.begin():
        session.get(User, "alice").password_hash = old
    assert _token(gw, username="alice", password="wrong")[0] == 401
    with gw.app.extensions["gateway"].sessions() as session:
        assert session.get(User, "alice").password_hash == old  # a failed login changes nothing
    assert _token(gw, username="alice", password="demo")[0] == 200
    with gw.app.extensions["gateway"].sessions() as session:
        upgraded = session.get(User, "alice").password_hash
    assert upgraded != old and "m=19456,t=2,p=1" in upgraded
    assert _token(gw, username="alice", password="demo")[0] == 200  # and it still verifies


def test_an_upgrade_never_overwrites_a_password_changed_during_the_sign_in(
    tmp_path: Path, pg_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher

    gw = _gateway(tmp_path, pg_urls)
    sessions = gw.app.extensions["gateway"].sessions
    legacy = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
    with sessions() as session, session.begin():
        session.get(User, "bob").password_hash = legacy.hash("demo")
    real = identity._hasher
    reset = real.hash("a-new-password")

    class Meanwhile:  # an admin resets the password while this sign-in is being verified
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def check_needs_rehash(self, old: str) -> bool:
            with sessions() as session, session.begin():
                session.get(User, "bob").password_hash = reset
            return real.check_needs_rehash(old)

    monkeypatch.setattr(identity, "_hasher", Meanwhile())
    assert _token(gw, username="bob", password="demo")[0] == 200  # right at the time it was checked
    monkeypatch.undo()
    with sessions() as session:
        assert session.get(User, "bob").password_hash == reset  # the reset stands
    assert _token(gw, username="bob", password="demo")[0] == 401


def test_a_client_secret_hash_made_with_older_parameters_is_upgraded(tmp_path: Path,
                                                                    pg_urls: dict[str, str]) -> None:
    from argon2 import PasswordHasher

    from gateway.models import Client

    gw = _gateway(tmp_path, pg_urls)
    sessions = gw.app.extensions["gateway"].sessions
    with sessions() as session, session.begin():
        _, secret = identity.register_client(session, "records", "Student records", ["events:read"])
        session.get(Client, "records").secret_hash = PasswordHasher(
            time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(secret)
    body = {"grant_type": "client_credentials", "client_id": "records", "client_secret": secret}
    assert gw.client.post("/api/v1/auth/token", data=body).status_code == 200
    with sessions() as session:
        assert "m=19456,t=2,p=1" in session.get(Client, "records").secret_hash
    assert gw.client.post("/api/v1/auth/token", data=body).status_code == 200


def test_login_rate_limit_is_shared_by_workers_through_redis(
    tmp_path: Path, pg_urls: dict[str, str], redis_url: str
) -> None:
    env = {"MOBILITY_RATE_LIMIT_STORAGE": redis_url, "MOBILITY_RATE_LIMIT_LOGIN": "4/minute"}
    one = _gateway(tmp_path, pg_urls, **env)
    two = start_service("gateway", tmp_path, pg_urls["gateway"], **env)
    statuses = [_token(gw, username="nobody", password="x")[0] for gw in (one, two, one, two)]
    assert statuses == [401] * 4
    response = one.client.post("/api/v1/auth/token", json={"username": "alice", "password": "demo"})
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1


def test_client_credentials_grant_with_scopes(tmp_path: Path, pg_urls: dict[str, str]) -> None:
    gw = _gateway(tmp_path, pg_urls)
    with gw.app.extensions["gateway"].sessions() as session, session.begin():
        _client, secret = identity.register_client(session, "hr-system", "HR", ["events:read"])
    form = {"grant_type": "client_credentials", "client_id": "hr-system", "client_secret": secret}
    response = gw.client.post("/api/v1/auth/token", data=form)  # RFC 6749: a form
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["scope"] == "events:read" and body["token_type"] == "Bearer"
    claims = Verifier(gw.settings.jwt_public_key_file, gw.settings.jwt_issuer).verify(
        body["access_token"], GATEWAY_AUDIENCE)
    assert claims.username == "client:hr-system" and claims.scopes == ("events:read",)
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "EdDSA"

    basic = gw.client.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                           auth=("hr-system", secret))
    assert basic.status_code == 200

    wrong = gw.client.post("/api/v1/auth/token", data={**form, "client_secret": "nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    greedy = gw.client.post("/api/v1/auth/token", data={**form, "scope": "events:read subscriptions:manage"})
    assert greedy.status_code == 400 and greedy.get_json()["error"] == "invalid_scope"

    token = body["access_token"]
    outside = gw.client.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
    assert outside.status_code == 403  # the scope does not reach applications; refused at the gateway

    with gw.app.extensions["gateway"].sessions() as session, session.begin():
        with pytest.raises(identity.InvalidAccount):
            identity.register_client(session, "no-scopes", "None", [])  # a client without scopes would be unlimited
        identity.disable_client(session, "hr-system")
    assert gw.client.post("/api/v1/auth/token", data=form).status_code == 401


def test_token_request_without_a_grant_is_a_clear_422(tmp_path: Path, pg_urls: dict[str, str]) -> None:
    gw = _gateway(tmp_path, pg_urls)
    response = gw.client.post("/api/v1/auth/token", json={"password": "x"})
    assert response.status_code == 422
    assert "grant_type" in response.get_json()["errors"]


def test_account_cli_manages_users_schools_and_clients(tmp_path: Path, pg_urls: dict[str, str]) -> None:
    gw = _gateway(tmp_path, pg_urls)
    env = {"MOBILITY_VAR_DIR": str(tmp_path), "MOBILITY_GATEWAY_DATABASE_URL": pg_urls["gateway"]}
    run = CliRunner().invoke

    assert run(main, ["schools", "add", "law", "--en", "Law School", "--zh", "法学院"], env=env).exit_code == 0
    added = run(main, ["users", "add", "li.na", "--email", "li.na@example.edu", "--school", "law",
                       "--role", "student@law"], env={**env, "MOBILITY_NEW_PASSWORD": "s3cret-pass"})
    assert added.exit_code == 0, added.output
    assert _token(gw, username="li.na", password="s3cret-pass")[0] == 200

    bad = run(main, ["users", "set", "li.na", "--role", "school_dean@nowhere"], env=env)
    assert bad.exit_code != 0 and "known school" in bad.output
    assert run(main, ["users", "set", "li.na", "--role", "school_coordinator@law"], env=env).exit_code == 0
    listed = run(main, ["users", "list"], env=env).output
    assert "li.na" in listed and "school_coordinator@law" in listed

    client = run(main, ["clients", "add", "visa-office", "--scope", "subscriptions:manage"], env=env)
    secret = client.output.split("client_secret=")[1].strip()
    status, body = _token(gw, grant_type="client_credentials", client_id="visa-office", client_secret=secret)
    assert status == 200 and body["scope"] == "subscriptions:manage"

    with gw.app.extensions["gateway"].sessions() as session:
        announced = session.execute(select(outbox.c.body).where(outbox.c.subject == "li.na")).all()
        assert len(announced) == 2  # created, then roles changed: notifications' copy follows
        assert session.execute(text("select count(*) from users where username = 'li.na'")).scalar() == 1


def test_submissions_and_uploads_are_rate_limited_per_user(tmp_path: Path, pg_urls: dict[str, str]) -> None:
    # No service runs behind this gateway: under the limit the request is forwarded (and gets 502),
    # over it the gateway answers 429 itself.
    gw = _gateway(tmp_path, pg_urls, MOBILITY_RATE_LIMIT_SUBMIT="2/hour", MOBILITY_RATE_LIMIT_UPLOAD="1/hour",
                  MOBILITY_UPSTREAM_TIMEOUT="1", MOBILITY_APPLICATIONS_URL="http://127.0.0.1:9")

    def post(user: str, path: str) -> int:
        token = _token(gw, username=user, password="demo")[1]["access_token"]
        return int(gw.client.post(path, headers={"Authorization": f"Bearer {token}"}).status_code)

    submit = "/api/v1/applications/6f1c1e0e-0000-4000-8000-000000000001/submit"
    upload = "/api/v1/applications/6f1c1e0e-0000-4000-8000-000000000001/documents"
    assert [post("alice", submit) for _ in range(3)] == [502, 502, 429]
    assert post("bob", submit) == 502  # per user
    assert [post("alice", upload) for _ in range(2)] == [502, 429]
    assert post("alice", "/api/v1/applications") == 502  # creating drafts is not limited


def test_a_service_is_sent_the_same_token_for_one_person_and_another_for_someone_else(
    tmp_path: Path, pg_urls: dict[str, str]
) -> None:
    gw = _gateway(tmp_path, pg_urls)
    sent: list[str] = []

    class Capture:
        def send(self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes) -> UpstreamResponse:
            sent.append(headers["Authorization"].removeprefix("Bearer "))
            return UpstreamResponse(200, [("Content-Type", "application/json")], b"{}")

    gw.app.extensions["gateway"].upstreams["applications"] = Capture()
    for user in ("alice", "alice", "bob"):
        token = _token(gw, username=user, password="demo")[1]["access_token"]
        assert gw.client.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    verifier = Verifier(gw.settings.jwt_public_key_file, gw.settings.jwt_issuer)  # type: ignore[arg-type]
    assert sent[0] == sent[1] != sent[2]  # alice's two requests: one token; bob's: his own
    assert [verifier.verify(t, "applications").username for t in sent] == ["alice", "alice", "bob"]
