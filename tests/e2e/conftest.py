"""The whole system in each topology, reached over HTTP through its gateway."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from chassis.settings import Settings
from mobility.embedded import Embedded
from tests.conftest import fresh_databases, fresh_vhost
from tests.support.api import Gateway
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def embedded_gateway(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[Gateway]:
    settings = Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("embedded") / "var"),
        "MOBILITY_SMTP_PORT": str(smtp.port),
        "MOBILITY_RETRY_DELAY_MS": "300",
    })
    system = Embedded(settings).start()
    server = make_server("127.0.0.1", 0, system.gateway, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Gateway(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    system.stop()


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
def gateway(request: pytest.FixtureRequest) -> Gateway:
    return request.getfixturevalue(f"{request.param}_gateway")  # type: ignore[no-any-return]
