"""The whole system in each topology, reached over HTTP through its gateway."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from werkzeug.serving import make_server

from chassis.db import make_engine
from chassis.settings import DATABASE_OWNERS, Settings
from mobility.embedded import Embedded
from tests.conftest import fresh_databases, fresh_vhost
from tests.support.api import Gateway
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def embedded_system(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[Embedded]:
    settings = Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("embedded") / "var"),
        "MOBILITY_SMTP_PORT": str(smtp.port),
        "MOBILITY_RETRY_DELAY_MS": "300",
    })
    system = Embedded(settings).start()
    yield system
    system.stop()


@pytest.fixture(scope="module")
def embedded_gateway(embedded_system: Embedded) -> Iterator[Gateway]:
    server = make_server("127.0.0.1", 0, embedded_system.gateway, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Gateway(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[Stack]:
    """One distributed stack for the module: these tests only read and add, they break nothing."""
    with fresh_vhost() as amqp_url, fresh_databases() as pg_urls:
        with Stack(tmp_path_factory.mktemp("stack"), amqp_url, pg_urls, smtp.port).running() as stack:
            yield stack


@pytest.fixture(scope="module")
def distributed_gateway(stack: Stack) -> Gateway:
    return Gateway(stack.gateway_url)


@pytest.fixture(scope="module", params=["embedded", "distributed"])
def topology(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest, topology: str) -> Gateway:
    return request.getfixturevalue(f"{topology}_gateway")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def databases(request: pytest.FixtureRequest, topology: str) -> Iterator[dict[str, Engine]]:
    """Each owner's database in the topology under test, for what a test runs itself as the worker would (a
    deadline sweep with the clock it chooses)."""
    if topology == "embedded":
        yield request.getfixturevalue("embedded_system").engines
        return
    stack: Stack = request.getfixturevalue("stack")
    engines = {owner: make_engine(stack.env[f"MOBILITY_{owner.upper()}_DATABASE_URL"]) for owner in DATABASE_OWNERS}
    yield engines
    for engine in engines.values():
        engine.dispose()
