"""docs/asyncapi.yaml, the contract outsiders read, says exactly what the catalog enforces."""

from __future__ import annotations

from pathlib import Path

import yaml

from eventbus import catalog

ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def test_every_event_type_is_documented_with_the_catalog_schema() -> None:
    doc = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("3.")
    schemas = doc["components"]["schemas"].values()
    documented = {s["title"]: s for s in schemas if s.get("title") in catalog.event_types()}
    assert set(documented) == set(catalog.event_types())
    for event_type, schema in documented.items():
        enforced = {k: v for k, v in catalog.schema(event_type).items() if not k.startswith("$")}
        assert schema == enforced, event_type
