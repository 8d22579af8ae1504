"""Bringing the owners' databases up to date, then the one piece of data an owner takes from another's code: each
application kind's default review chain, seeded into the reviews service for a kind that has no chain yet (a
kind module declares it; the reviews service knows no kinds). An admin's later versions are never replaced."""

from __future__ import annotations

from collections.abc import Iterable

from chassis import migrate
from chassis.db import make_engine, make_sessionmaker
from chassis.owners import OWNERS
from chassis.settings import Settings


def upgrade(settings: Settings, owners: Iterable[str] = tuple(OWNERS)) -> list[str]:
    """Migrate each owner's database; returns the kinds whose default chains were seeded."""
    seeded: list[str] = []
    for owner in owners:
        migrate.upgrade(owner, settings.database_url(owner))
        if owner == "reviews":
            seeded = seed_default_chains(settings)
    return seeded


def seed_default_chains(settings: Settings) -> list[str]:
    from services.applications import kinds
    from services.reviews import chains

    kinds.load(settings.kind_modules)
    engine = make_engine(settings.database_url("reviews"))
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            return chains.seed_missing(session, kinds.default_chains())
    finally:
        engine.dispose()
