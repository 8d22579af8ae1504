"""The one list of owners (chassis/owners.py) agrees with what each owner's code does."""

from __future__ import annotations

import importlib

import pytest

from chassis.owners import OWNERS, consuming_queues
from chassis.settings import Settings
from mobility import registry


@pytest.mark.parametrize("name", sorted(OWNERS))
def test_an_owner_consumes_exactly_when_its_worker_has_handlers(name: str) -> None:
    assert OWNERS[name].consumes == bool(registry.handled_types(name, Settings()))


@pytest.mark.parametrize("name", sorted(OWNERS))
def test_every_owner_has_its_package_and_migrations(name: str) -> None:
    owner = OWNERS[name]
    assert (owner.migrations / "env.py").is_file()
    app_module = importlib.import_module(f"{owner.package}.app")  # what registry.create_app(name, ...) calls
    assert callable(getattr(app_module, "create_app", None)), f"{owner.package}.app has no create_app"
    assert registry._module(name, "app") is app_module


def test_parked_queues_are_those_of_the_consuming_owners() -> None:
    assert consuming_queues() == ["applications.events", "reviews.events", "notifications.events", "mobilities.events",
                                   "passports.events", "placements.events"]


def test_every_event_type_is_bound_by_some_owner_so_none_waits_unroutable_in_an_outbox() -> None:
    from eventbus import catalog

    bound = {t for name in OWNERS for t in registry.handled_types(name, Settings())}
    assert set(catalog.event_types()) - bound == set()
