"""A service whose database is down answers a write with 503 problem+json and Retry-After, and keeps nothing of
it: the client waits and tries again, and the same request then goes through. The gateway passes Retry-After on.

The database is a private PostgreSQL server (tests/support/pg_server.py), stopped for the outage: the machine's
cluster is shared with other tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import exc

from chassis.db import make_sessionmaker
from chassis.errors import PROBLEM
from eventbus.outage import database_unavailable
from gateway.forwarding import to_response
from gateway.upstreams import UpstreamResponse
from services.applications import demo as applications_demo
from tests.conftest import CI
from tests.support.pg_server import BIN, PgServer
from tests.support.service import start_service
from tests.support.service_api import Api


@pytest.fixture
def server() -> Iterator[PgServer]:
    if not (BIN / "initdb").exists():
        message = f"PostgreSQL 15's binaries are not in {BIN}"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    with PgServer() as server:
        yield server


@pytest.fixture
def api(tmp_path: Path, server: PgServer) -> Iterator[Api]:
    service = start_service("applications", tmp_path, server.create_databases(["applications"])["applications"])
    with make_sessionmaker(service.engine)() as session, session.begin():
        applications_demo.seed(session)
    yield Api(service.client, service.signer, service.engine)
    service.engine.dispose()


def assert_try_again(response: object) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.mimetype == PROBLEM  # type: ignore[attr-defined]
    assert response.headers["Retry-After"] == "5"  # type: ignore[attr-defined]
    assert "database" in response.json["detail"]  # type: ignore[attr-defined]


def test_a_write_during_an_outage_is_a_503_that_kept_nothing(api: Api, server: PgServer) -> None:
    application = api.ready("alice", "student_exchange")  # a draft with its documents, before the outage
    server.down("immediate")
    try:
        created = api.create("alice", "student_exchange")
        submitted = api.submit("alice", application)
    finally:
        server.up()
    assert_try_again(created)
    assert_try_again(submitted)

    assert api.count("SELECT count(*) FROM applications") == 1
    assert api.count("SELECT count(*) FROM applications WHERE status = 'draft'") == 1
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 0

    again = api.submit("alice", application)  # the well-behaved client's second try, once the database is back
    assert again.status_code == 200, again.json
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 1


def test_the_gateway_passes_retry_after_on() -> None:
    upstream = UpstreamResponse(503, [("Retry-After", "5"), ("Content-Type", PROBLEM)], b"{}")
    response = to_response(upstream)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == PROBLEM


@pytest.mark.parametrize(("error", "unavailable"), [
    (exc.OperationalError("SELECT 1", {}, Exception("connection refused")), True),
    (exc.TimeoutError("QueuePool limit of size 5 overflow 5 reached"), True),
    (exc.DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True), True),
    (exc.OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating connection")), True),
    (exc.OperationalError("SELECT 1", {}, psycopg.errors.CannotConnectNow("the database system is starting up")),
     True),
    (exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")), True),
    (exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),  # a bug or a race: not to retry blindly
    (exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: applications")), False),  # a bug
    (exc.OperationalError("SELECT 1", {}, psycopg.errors.QueryCanceled("statement timeout")), False),
    (exc.OperationalError("SELECT 1", {}, psycopg.errors.DeadlockDetected("deadlock detected")), False),
    (exc.DBAPIError("SELECT 1", {}, Exception("syntax error")), False),
])
def test_which_database_errors_mean_try_again(error: Exception, unavailable: bool) -> None:
    assert database_unavailable(error) is unavailable


@pytest.mark.parametrize(("path", "mimetype"), [("/broken-page", "text/html"), ("/api/v1/broken", PROBLEM)])
def test_the_gateways_own_database_down_is_a_503_page_or_problem(tmp_path: Path, path: str, mimetype: str) -> None:
    """Sessions are read from the gateway's database before every page: its outage shows the error page (as a
    service that is down does), with Retry-After; the API keeps problem+json."""
    gateway = start_service("gateway", tmp_path, f"sqlite:///{tmp_path / 'gateway.db'}")
    app = gateway.client.application

    def database_down() -> None:
        raise exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    app.add_url_rule(path, "database_down", database_down)
    response = gateway.client.get(path)
    assert response.status_code == 503
    assert response.mimetype == mimetype
    assert response.headers["Retry-After"] == "5"
