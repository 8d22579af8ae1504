"""Each owner's migrations build exactly the tables its models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chassis import migrate
from chassis.db import make_engine
from eventbus.tables import metadata as bus_metadata
from mobility.registry import OWNERS

MODELS = {
    "gateway": "gateway.models",
    "applications": "services.applications.models",
    "reviews": "services.reviews.models",
    "notifications": "services.notifications.models",
}


@pytest.fixture(params=["postgres", "sqlite"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "postgres":
        return request.getfixturevalue("pg_urls")  # type: ignore[no-any-return]
    return {owner: f"sqlite:///{tmp_path / owner}.db" for owner in OWNERS}


@pytest.mark.parametrize("owner", OWNERS)
def test_migrations_match_the_models_and_go_down_cleanly(owner: str, urls: dict[str, str]) -> None:
    url = urls[owner]
    migrate.upgrade(owner, url)
    engine = make_engine(url)
    metadata = [importlib.import_module(MODELS[owner]).Base.metadata, bus_metadata]
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    assert {"outbox", "inbox"} <= set(inspect(engine).get_table_names())
    command.downgrade(migrate.config(owner, url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
