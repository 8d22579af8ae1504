"""A fresh install's review chains (seeded by the reviews migration 0002) are the built-in kinds' default chains
(services/applications/kinds): the two cannot drift apart silently."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from chassis.owners import OWNERS
from services.applications import kinds

BUILT_IN = ("faculty_exchange", "foreign_expert", "hosted_event", "student_exchange")


def _migration(owner: str, file_name: str) -> ModuleType:
    path = OWNERS[owner].migrations / "versions" / file_name
    spec = importlib.util.spec_from_file_location(f"_migration_{owner}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_chains_reviews_seeds_are_the_kinds_default_chains() -> None:
    seeded = _migration("reviews", "0002_chains_cases_decisions.py").DEFAULT_CHAINS
    defaults = kinds.default_chains()
    assert sorted(seeded) == list(BUILT_IN)
    for kind in BUILT_IN:
        assert seeded[kind] == defaults[kind], f"{kind}: the migration seeds another chain than the kind's"
