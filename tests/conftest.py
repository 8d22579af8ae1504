"""Shared fixtures: real RabbitMQ (a fresh vhost per test), real PostgreSQL (empty databases per test, from
a pool), a real SMTP server (aiosmtpd). Unreachable infrastructure skips with a reason, except under CI=true."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from chassis.settings import DATABASE_OWNERS
from tests.support import pg_pool
from tests.support.smtp import SmtpSink

CI = os.environ.get("CI", "").lower() == "true"
RABBIT = ("127.0.0.1", int(os.environ.get("TEST_RABBITMQ_PORT", "5672")))
POSTGRES = ("127.0.0.1", int(os.environ.get("TEST_POSTGRES_PORT", "5432")))
REDIS = ("127.0.0.1", int(os.environ.get("TEST_REDIS_PORT", "6379")))


def _reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def need(name: str, address: tuple[str, int]) -> None:
    if _reachable(address):
        return
    message = f"{name} is not reachable at {address[0]}:{address[1]}"
    if CI:
        pytest.fail(f"{message} (CI=true: these tests must run, not skip)")
    pytest.skip(f"{message}; start it to run this test (CI=true makes this a failure)")


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def fresh_vhost() -> Iterator[str]:
    """A fresh RabbitMQ virtual host, so queues and parked messages never leak between tests."""
    need("RabbitMQ", RABBIT)
    vhost = f"test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield f"amqp://guest:guest@{RABBIT[0]}:{RABBIT[1]}/{vhost}"
    rabbitmqctl("start_app")  # a fault test may have stopped it
    rabbitmqctl("await_startup")
    rabbitmqctl("delete_vhost", vhost)


@contextmanager
def fresh_databases() -> Iterator[dict[str, str]]:
    """One empty PostgreSQL database per owner (gateway and each service), emptied afterwards for the next test.

    The sets come from the session's pool (tests/support/pg_pool.py): emptying a database is much cheaper than
    dropping it, which forces a checkpoint. Every connection to the set is cut on release, as dropping did."""
    need("PostgreSQL", POSTGRES)
    pool = pg_pool.shared(*POSTGRES)
    names = pool.acquire(DATABASE_OWNERS)
    try:
        yield {
            owner: f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}" for owner, name in names.items()
        }
    finally:
        pool.release(names)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The pooled databases live for the session; drop them at its end."""
    pg_pool.close_shared()


@pytest.fixture
def amqp_url() -> Iterator[str]:
    with fresh_vhost() as url:
        yield url


@pytest.fixture
def pg_urls() -> Iterator[dict[str, str]]:
    with fresh_databases() as urls:
        yield urls


@pytest.fixture
def pg_url(pg_urls: dict[str, str]) -> str:
    return pg_urls["reviews"]


@pytest.fixture
def redis_url() -> str:
    """Redis, where rate-limit windows are shared by every gateway worker; db 15, emptied for the test."""
    need("Redis", REDIS)
    import redis

    url = f"redis://{REDIS[0]}:{REDIS[1]}/15"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()
