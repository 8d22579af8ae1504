"""Bus components on real infrastructure: RabbitMQ + PostgreSQL, and the embedded pair memory:// + SQLite."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kombu.transport import memory
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, select

from chassis.db import make_engine, make_sessionmaker
from eventbus import tables
from services.applications import demo as applications_demo
from tests.support.service import start_service
from tests.support.service_api import Api

effects_metadata = MetaData()
effects = Table(
    "effects", effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
)


@dataclass
class Bus:
    kind: str
    broker_url: str
    engine: Engine

    def count_effects(self) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(select(func.count()).select_from(effects)))

    def count_inbox(self) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(select(func.count()).select_from(tables.inbox)))

    @property
    def sessions(self):  # type: ignore[no-untyped-def]
        return make_sessionmaker(self.engine)


def _with_tables(bus: Bus) -> Bus:
    tables.metadata.create_all(bus.engine)
    effects_metadata.create_all(bus.engine)
    return bus


def memory_bus(folder: Path) -> Bus:
    """The embedded pair, fresh: an empty in-process broker and a SQLite file in `folder`."""
    memory.Channel.queues.clear()
    memory.Transport.global_state.clear()
    return _with_tables(Bus("memory+sqlite", "memory://", make_engine(f"sqlite:///{folder / 'bus.db'}")))


@pytest.fixture(params=["rabbitmq+postgres", "memory+sqlite"])
def bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bus]:
    if request.param == "rabbitmq+postgres":
        made = _with_tables(Bus(request.param, request.getfixturevalue("amqp_url"),
                                make_engine(request.getfixturevalue("pg_url"))))
    else:
        made = memory_bus(tmp_path)
    yield made
    made.engine.dispose()


@pytest.fixture
def running() -> Iterator[Callable[..., threading.Thread]]:
    """Start components in threads; all are stopped at the end of the test."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(component) -> threading.Thread:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=component.run, args=(stop,), daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=15)


@pytest.fixture
def api(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Api]:
    """The applications service on PostgreSQL with the demo programs, called with demo accounts' tokens."""
    service = start_service("applications", tmp_path, pg_urls["applications"],
                            MOBILITY_MAX_DOCUMENTS_PER_APPLICATION="4")
    with make_sessionmaker(service.engine)() as session, session.begin():
        applications_demo.seed(session)
    yield Api(service.client, service.signer, service.engine)
    service.engine.dispose()
