"""The catalog's conventions: shared definitions under _defs/, an open `kind`, privacy declared per type."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from eventbus import catalog

APPLICATION_TYPES = [t for t in catalog.event_types() if t.startswith("application.")]
COMMON = catalog.definitions()["_defs/application.json"]["required"]


def _example(event_type: str) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(catalog.schema(event_type)["x-asyncapi"]["examples"][0]["data"])
    return data


def test_the_shared_definitions_are_not_event_types() -> None:
    assert catalog.definitions()
    assert not [t for t in catalog.event_types() if t.startswith("_") or "/" in t]
    with pytest.raises(catalog.SchemaError, match="unknown event type"):
        catalog.validate("_defs/application", {})


def test_every_application_type_takes_its_common_fields_from_the_one_definition() -> None:
    assert len(APPLICATION_TYPES) == 10
    for event_type in APPLICATION_TYPES:
        written = {k: v for k, v in catalog.schema(event_type).items() if k != "x-asyncapi"}
        assert {"$ref": "_defs/application.json"} in written["allOf"], event_type
        assert not set(written.get("properties", {})) & {"kind", "mobility", "application_id"}, event_type
        assert '"enum"' not in json.dumps(written), event_type


@pytest.mark.parametrize("event_type", catalog.event_types())
def test_every_documented_example_is_valid(event_type: str) -> None:
    examples = catalog.schema(event_type)["x-asyncapi"]["examples"]
    assert examples
    for example in examples:
        catalog.validate(event_type, example["data"])


@pytest.mark.parametrize("event_type", APPLICATION_TYPES)
def test_a_kind_the_catalog_has_never_heard_of_is_valid(event_type: str) -> None:
    data = _example(event_type)
    data["kind"] = "summer_school"
    catalog.validate(event_type, data)


@pytest.mark.parametrize("kind", ["", "Holiday", "summer school", "x", 7, None])
def test_a_kind_must_still_look_like_a_kind(kind: object) -> None:
    data = _example("application.submitted")
    data["kind"] = kind
    with pytest.raises(catalog.SchemaError, match="kind"):
        catalog.validate("application.submitted", data)


@pytest.mark.parametrize("event_type", APPLICATION_TYPES)
@pytest.mark.parametrize("field", COMMON)
def test_a_missing_common_field_is_refused_for_every_application_type(event_type: str, field: str) -> None:
    data = _example(event_type)
    del data[field]
    with pytest.raises(catalog.SchemaError, match=f"'{field}' is a required property"):
        catalog.validate(event_type, data)


@pytest.mark.parametrize(("event_type", "field"), [
    ("application.submitted", "submitted_at"),
    ("application.resubmitted", "submitted_at"),
    ("application.withdrawn", "withdrawn_at"),
    ("application.cancelled", "reason"),
    ("application.change_requested", "change"),
    ("application.changed", "decided_at"),
    ("application.change_rejected", "decided_by"),
    ("application.approved", "decided_at"),
    ("application.rejected", "decided_at"),
    ("application.changes_requested", "decided_at"),
])
def test_a_missing_own_field_is_refused(event_type: str, field: str) -> None:
    data = _example(event_type)
    del data[field]
    with pytest.raises(catalog.SchemaError, match=f"'{field}' is a required property"):
        catalog.validate(event_type, data)


def test_submitted_at_may_be_null_only_where_it_was_before() -> None:
    submitted = _example("application.submitted") | {"submitted_at": None}
    with pytest.raises(catalog.SchemaError, match="submitted_at"):
        catalog.validate("application.submitted", submitted)
    catalog.validate("application.approved", _example("application.approved") | {"submitted_at": None})


def test_the_mobility_facts_are_checked_through_the_reference() -> None:
    data = _example("application.approved")
    data["mobility"] = {"direction": "sideways"}
    with pytest.raises(catalog.SchemaError) as err:
        catalog.validate("application.approved", data)
    assert "mobility/direction" in str(err.value)
    assert "'people' is a required property" in str(err.value)


def test_unknown_fields_are_refused_where_they_were_and_only_there() -> None:
    user = _example("user.registered")
    user["roles"][0]["extra"] = 1
    with pytest.raises(catalog.SchemaError, match="roles/0"):
        catalog.validate("user.registered", user)
    for event_type in catalog.event_types():
        catalog.validate(event_type, _example(event_type) | {"added_later": 1})
    approved = _example("application.approved")
    approved["mobility"] = {
        "direction": "outbound", "people": 1, "partner_id": None, "partner_name": None, "country": None,
        "region": None, "start_date": None, "end_date": None, "duration_days": None, "duration_band": None,
        "academic_year": None, "added_later": 1,
    }
    catalog.validate("application.approved", approved)


def _subschemas(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [s for item in node for s in _subschemas(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(s for value in node.values() for s in _subschemas(value))]


def test_no_schema_that_references_another_closes_itself_with_additional_properties() -> None:
    """`additionalProperties: false` does not see the properties a `$ref`/`allOf` brings in, so it would
    refuse the shared fields; a schema that needs to be closed and references another says
    `unevaluatedProperties: false` instead."""
    documents = [catalog.schema(t) for t in catalog.event_types()] + list(catalog.definitions().values())
    for node in _subschemas(documents):
        if "$ref" in node or "allOf" in node:
            assert node.get("additionalProperties", True) is True, node.get("title")


MOBILITY_PRIVATE = {f"mobility.{name}" for name in (
    "extension_requested", "report_submitted", "report_decided", "due_soon", "overdue", "hold_placed", "hold_cleared")}


def test_a_type_is_private_unless_its_schema_says_public() -> None:
    assert not catalog.is_public("user.registered")
    assert catalog.is_public("application.submitted")
    assert not catalog.is_public("application.teleported")
    assert catalog.public_types() == [t for t in catalog.event_types()
                                      if t not in {"user.registered", "calendar.changed", "program.saved",
                                                   "agreement.expiring", "nomination.link_issued"}
                                      and not t.startswith(("publicity.", "passport."))
                                      and t not in MOBILITY_PRIVATE]
    for event_type in catalog.event_types():
        assert catalog.is_public(event_type) is (catalog.schema(event_type).get("x-public") is True)


def test_every_schema_names_its_producer() -> None:
    for event_type in catalog.event_types():
        producer = catalog.schema(event_type)["x-producer"]
        assert producer in {"gateway", "applications", "reviews", "mobilities", "passports",
                            "placements"}, event_type


FORMAT_SAMPLES = {
    "uuid": ["4b0a3f3e-4b2c-4c7e-9d1a-2f6f0c1e8a11", "4B0A3F3E-4B2C-4C7E-9D1A-2F6F0C1E8A11", "nope", "",
             "4b0a3f3e4b2c4c7e9d1a2f6f0c1e8a11", "{4b0a3f3e-4b2c-4c7e-9d1a-2f6f0c1e8a11}",
             "urn:uuid:4b0a3f3e-4b2c-4c7e-9d1a-2f6f0c1e8a11", "4b0a3f3e-4b2c-4c7e-9d1a-2f6f0c1e8a1g",
             " 4b0a3f3e-4b2c-4c7e-9d1a-2f6f0c1e8a11"],
    "date": ["2026-12-07", "2026-02-30", "2026-13-01", "20261207", "2026-12-7", "２０２６-12-07", "2026-12-07T00:00",
             "", "2024-02-0+", "2024-02-1+", "2024-02-0/", "0000-01-01"],
    "date-time": ["2026-12-07T02:00:00Z", "2026-12-07T02:00:00.123456+08:00", "2026-12-07t02:00:00z",
                  "2026-12-07 02:00:00Z", "2026-12-07T02:00:00", "2026-12-07T25:00:00Z", "2026-12-07",
                  "2026-12-31T23:59:60Z", "2026-12-07T02:00:00+0800", ""],
    "email": ["a@example.org", "a@b", "not an address", "@", "张三@例子.中国", ""],
}


@pytest.mark.parametrize("fmt", sorted(FORMAT_SAMPLES))
def test_the_compiled_check_accepts_no_value_the_python_validator_refuses(fmt: str) -> None:
    """catalog.validate trusts the compiled (jsonschema-rs) check's "valid": for every format the catalog uses,
    a value it accepts must be one the Python jsonschema accepts too (where it refuses more, Python decides)."""
    from jsonschema import Draft202012Validator

    used = {f for s in map(catalog.schema, catalog.event_types()) for f in _formats(s)}
    used |= {f for d in catalog.definitions().values() for f in _formats(d)}
    assert used == set(catalog.FORMATS) == set(FORMAT_SAMPLES)  # a new format gets its samples here
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string", "format": fmt}
    python = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    compiled = catalog.compile_fast(schema)
    looser = [v for v in FORMAT_SAMPLES[fmt] if compiled.is_valid(v) and not python.is_valid(v)]
    assert looser == []


def _formats(node: Any) -> set[str]:
    if isinstance(node, dict):
        return ({node["format"]} if isinstance(node.get("format"), str) else set()) | {
            f for v in node.values() for f in _formats(v)}
    if isinstance(node, list):
        return {f for v in node for f in _formats(v)}
    return set()


@pytest.mark.parametrize("event_type", catalog.event_types())
def test_the_compiled_check_and_the_python_validator_agree_on_the_examples(event_type: str) -> None:
    """Each type's documented example, and the example with every field in turn removed or made a number: the
    compiled check says "valid" only where the Python validator does."""
    example = _example(event_type)
    variants = [example]
    for key in example:
        variants.append({k: v for k, v in example.items() if k != key})
        variants.append({**example, key: 12345})
    for data in variants:
        if catalog._compiled(event_type).is_valid(data):
            assert not list(catalog._validator(event_type).iter_errors(data)), (event_type, data)
