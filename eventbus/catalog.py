"""The catalog: one JSON Schema per event type (eventbus/schemas/<type>.json); data validated both ways.

Fields that several types share live once under eventbus/schemas/_defs/ and are referenced with `$ref`
(resolved offline, from these files only: every file's `$id` is BASE_URI + its path under schemas/).
A schema declares what travels beyond the bus: `"x-public": true` puts the type in the HTTP event feed and
webhooks; a type that does not say so is private.
"""

from __future__ import annotations

import copy
import json
from functools import cache, partial
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).with_name("schemas")
DEFS_DIR = SCHEMA_DIR / "_defs"
BASE_URI = "https://mobility.example/events/"
FORMATS = ("date", "date-time", "email", "uuid")  # the formats the schemas use; a test holds them to this list


class SchemaError(ValueError):
    """Event data does not match its type's schema, or the type is unknown."""


def _load(path: Path) -> dict[str, Any]:
    contents: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    expected = BASE_URI + path.relative_to(SCHEMA_DIR).as_posix()
    # A relative $ref ("_defs/application.json") resolves against $id, so $id must say where the file is.
    if contents.get("$id") != expected:
        raise SchemaError(f"{path}: $id must be {expected!r}")
    return contents


@cache
def _registry() -> Registry:
    # No `retrieve`: a $ref to anything outside eventbus/schemas fails instead of going to the network.
    resources = [
        (BASE_URI + path.relative_to(SCHEMA_DIR).as_posix(),
         Resource.from_contents(_load(path), default_specification=DRAFT202012))
        for path in sorted(SCHEMA_DIR.rglob("*.json"))
    ]
    return Registry().with_resources(resources).crawl()


@cache
def _validator(event_type: str) -> Draft202012Validator:
    path = SCHEMA_DIR / f"{event_type}.json"
    if event_type.startswith("_") or not path.is_file():
        raise SchemaError(f"unknown event type {event_type!r}: no schema in the catalog")
    schema = _load(path)
    Draft202012Validator.check_schema(schema)
    # Formats (uuid, date-time) are assertions here, not annotations: rfc3339-validator backs date-time.
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@cache
def _compiled(event_type: str) -> jsonschema_rs.Validator:
    """The type's schema compiled by jsonschema-rs (Rust): the fast check every event takes, hundreds of times
    cheaper than `_validator`'s; only data it refuses is looked at by `_validator`."""
    return compile_fast(dict(_validator(event_type).schema))


@cache
def _compiled_registry() -> jsonschema_rs.Registry:
    """The shared definitions for jsonschema-rs, read once (every type's compiled check resolves against them)."""
    return jsonschema_rs.Registry([(BASE_URI + path.relative_to(SCHEMA_DIR).as_posix(), _load(path))
                                   for path in sorted(DEFS_DIR.glob("*.json"))])


def compile_fast(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A schema compiled by jsonschema-rs as the catalog compiles it: _defs/ resolvable, formats asserted."""
    return jsonschema_rs.validator_for(
        schema, registry=_compiled_registry(), validate_formats=True,
        # Formats keep the Python checker's meaning: jsonschema-rs's own date-time allows a leap second, its date
        # "2024-02-0+" and year 0, which the Python checker (and datetime) refuse. A callback per value is still
        # far cheaper than the Python validator's walk of the whole document.
        formats={name: partial(Draft202012Validator.FORMAT_CHECKER.conforms, format=name) for name in FORMATS},
    )


@cache
def _types() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SCHEMA_DIR.glob("*.json") if not p.name.startswith("_")))


def event_types() -> list[str]:
    """Every event type, from the file names; the shared definitions under _defs/ are not types."""
    return list(_types())


def schema(event_type: str) -> dict[str, Any]:
    """The type's schema as written (its `$ref`s to _defs/ unresolved)."""
    return copy.deepcopy(dict(_validator(event_type).schema))


def definitions() -> dict[str, dict[str, Any]]:
    """The shared definitions, by path under schemas/ (e.g. `_defs/application.json`)."""
    return {
        path.relative_to(SCHEMA_DIR).as_posix(): _load(path)
        for path in sorted(DEFS_DIR.glob("*.json"))
    }


@cache
def kind_pattern() -> str:
    """The pattern an application kind's name matches (`$defs.kind` in _defs/application.json): whoever names
    kinds checks against it, so a kind they accept is one every application.* event can carry."""
    return str(_load(DEFS_DIR / "application.json")["$defs"]["kind"]["pattern"])


@cache
def property_pattern(event_type: str, *path: str) -> str:
    """The `pattern` of a property of the type's data, by its path of property names (e.g. `"contacts", "wecom"`
    in user.registered): whoever produces or reads that value checks it with the same expression."""
    node = _load(SCHEMA_DIR / f"{event_type}.json")
    for name in path:
        node = node["properties"][name]
    return str(node["pattern"])


def is_public(event_type: str) -> bool:
    """Whether the type may leave the bus (HTTP event feed, webhooks). Private unless its schema says
    `"x-public": true`; a type the catalog does not know is private too."""
    if event_type not in _types():
        return False
    return _validator(event_type).schema.get("x-public") is True


def public_types() -> list[str]:
    return [t for t in event_types() if is_public(t)]


def validate(event_type: str, data: Any) -> None:
    """Raise SchemaError, saying every error, unless `data` is valid for the type. The verdict is the Python
    `jsonschema`'s: the compiled check only answers "valid" at once (where it is stricter, as it is with email
    addresses, `_validator` decides; tests/unit/test_catalog.py holds the two to the same formats)."""
    if _compiled(event_type).is_valid(data):
        return
    errors = sorted(_validator(event_type).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors)
        raise SchemaError(f"{event_type} data invalid: {detail}")
