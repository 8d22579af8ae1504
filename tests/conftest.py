"""Shared fixtures: real RabbitMQ (a fresh vhost per test), real PostgreSQL (fresh databases per test),
a real SMTP server (aiosmtpd). Unreachable infrastructure skips with a reason, except under CI=true."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from chassis.settings import DATABASE_OWNERS
from tests.support.smtp import SmtpSink

CI = os.environ.get("CI", "").lower() == "true"
RABBIT = ("127.0.0.1", int(os.environ.get("TEST_RABBITMQ_PORT", "5672")))
POSTGRES = ("127.0.0.1", int(os.environ.get("TEST_POSTGRES_PORT", "5432")))
REDIS = ("127.0.0.1", int(os.environ.get("TEST_REDIS_PORT", "6379")))
PG_ADMIN = f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres"


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
    """One fresh PostgreSQL database per owner (gateway and each service), dropped afterwards."""
    need("PostgreSQL", POSTGRES)
    prefix = f"t_{uuid.uuid4().hex[:10]}"
    names = {owner: f"{prefix}_{owner}" for owner in DATABASE_OWNERS}
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    yield {
        owner: f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}" for owner, name in names.items()
    }
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
