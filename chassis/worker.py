"""Running a service's background components (relay, consumer, sender) as threads until told to stop."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chassis import memory
from chassis.settings import Settings
from eventbus.consumer import Consumer, HandlerTable
from eventbus.relay import Relay

log = structlog.get_logger(__name__)


class Component(Protocol):
    def run(self, stop: threading.Event) -> None: ...


def start(components: list[Component], stop: threading.Event, name: str) -> list[threading.Thread]:
    threads = []
    for component in components:
        thread = threading.Thread(
            target=_guarded, args=(component, stop), name=f"{name}:{type(component).__name__}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads


def _guarded(component: Component, stop: threading.Event) -> None:
    # Components handle their own outages; this only keeps a bug from silently ending the thread early.
    while not stop.is_set():
        try:
            component.run(stop)
        except Exception:
            log.exception("worker.component_crashed", component=type(component).__name__)
            stop.wait(1.0)


class Sweep:
    """A component that runs `check(session, now)` in one transaction every `interval` seconds: a service's deadline
    sweep (reminders, overdue notices, escalations, holds). `check` returns what it did, counted by name; a sweep
    that did something is logged as `<name>.deadlines`. A database outage does not end the worker: the next sweep
    tries again."""

    def __init__(self, name: str, engine: Engine, interval: float,
                 check: Callable[[Session, datetime], Mapping[str, int]]) -> None:
        self.name, self.interval, self.check = name, interval, check
        self.sessions = sessionmaker(bind=engine)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with self.sessions() as session, session.begin():
                    done = self.check(session, datetime.now(UTC))
                if any(done.values()):
                    log.info(f"{self.name}.deadlines", **done)
            except Exception:
                log.exception(f"{self.name}.deadlines_failed")
            stop.wait(self.interval)


def run_forever(components: list[Component], name: str) -> None:
    """The `mobility worker <service>` process: threads until SIGTERM/SIGINT, then a clean stop."""
    memory.few_arenas()  # before the threads start: each would otherwise keep a malloc arena of its own
    memory.return_large_blocks()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = start(components, stop, name)
    log.info("worker.started", worker=name, components=[type(c).__name__ for c in components])
    stop.wait()
    for thread in threads:
        thread.join(timeout=10)
    log.info("worker.stopped", worker=name)


def bus_components(
    service: str,
    settings: Settings,
    engine: Engine,
    handlers: HandlerTable,
    after_commit: Callable[[dict[str, Any]], None] | None = None,
) -> list[Component]:
    """The outbox relay and (if the service handles any event) the consumer of `<service>.events`;
    `after_commit` gets the session's `info`, where a handler can note what its commit made due."""
    components: list[Component] = [
        Relay(
            engine, settings.broker_url, source=service, batch_size=settings.relay_batch_size,
            sweep_seconds=settings.relay_sweep_seconds, heartbeat=settings.heartbeat_seconds,
        )
    ]
    if handlers:
        components.append(
            Consumer(
                service=service, engine=engine, broker_url=settings.broker_url, handlers=handlers,
                retry_delay_ms=settings.retry_delay_ms, max_attempts=settings.max_attempts,
                prefetch_count=settings.prefetch_count, batch_size=settings.consumer_batch_size,
                heartbeat=settings.heartbeat_seconds,
                after_commit=after_commit,
            )
        )
    return components
