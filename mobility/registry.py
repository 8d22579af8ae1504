"""Which code runs each owner (the gateway and every service): its app factory and its worker components."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask
from kombu import Connection
from sqlalchemy import Engine

from chassis.owners import OWNERS as _OWNERS
from chassis.settings import Settings
from chassis.worker import Component
from eventbus import topology

OWNERS = tuple(_OWNERS)


def _module(owner: str, name: str) -> Any:
    if owner not in _OWNERS:
        raise KeyError(f"unknown service {owner!r}; choose one of {', '.join(OWNERS)}")
    return importlib.import_module(f"{_OWNERS[owner].package}.{name}")


def create_app(owner: str, settings: Settings, **kwargs: Any) -> Flask:
    return _module(owner, "app").create_app(settings, **kwargs)  # type: ignore[no-any-return]


def worker_components(owner: str, settings: Settings, engine: Engine) -> list[Component]:
    return _module(owner, "worker").components(settings, engine)  # type: ignore[no-any-return]


def handled_types(owner: str, settings: Settings) -> list[str]:
    """The event types `<owner>.events` is bound to; empty for an owner that consumes nothing."""
    return sorted(_module(owner, "worker").handlers(settings))


def declare_topology(connection: Connection, settings: Settings) -> None:
    """Every consuming service's queues and bindings, so no event published from now on is unroutable."""
    services = {owner: types for owner in OWNERS if (types := handled_types(owner, settings))}
    topology.declare_services(connection, services, settings.retry_delay_ms)

