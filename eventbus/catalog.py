"""The catalog: one JSON Schema per event type (eventbus/schemas/<type>.json); data validated both ways."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).with_name("schemas")


class SchemaError(ValueError):
    """Event data does not match its type's schema, or the type is unknown."""


@cache
def _validator(event_type: str) -> Draft202012Validator:
    path = SCHEMA_DIR / f"{event_type}.json"
    if not path.is_file():
        raise SchemaError(f"unknown event type {event_type!r}: no schema in the catalog")
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # Formats (uuid, date-time) are assertions here, not annotations: rfc3339-validator backs date-time.
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def event_types() -> list[str]:
    return sorted(p.name.removesuffix(".json") for p in SCHEMA_DIR.glob("*.json"))


def schema(event_type: str) -> dict[str, Any]:
    return dict(_validator(event_type).schema)


def validate(event_type: str, data: Any) -> None:
    errors = sorted(_validator(event_type).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors)
        raise SchemaError(f"{event_type} data invalid: {detail}")
