"""docs/asyncapi.yaml, the contract outsiders read, is what `mobility asyncapi` makes from the catalog, and
says exactly what the catalog enforces."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from eventbus import asyncapi, catalog
from mobility.cli import main

ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
DOC_URI = "urn:mobility:asyncapi"


@cache
def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    return doc


def _documented(pointer: str) -> Draft7Validator:
    """A validator for a part of the committed document, its `#/components/...` references resolved in it
    (AsyncAPI's default schema format is a superset of draft 7)."""
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(_doc(), default_specification=DRAFT7))
    return Draft7Validator({"$ref": f"{DOC_URI}#{pointer}"}, registry=registry,
                           format_checker=Draft7Validator.FORMAT_CHECKER)


def _message(event_type: str) -> dict[str, Any]:
    (message,) = [m for m in _doc()["components"]["messages"].values() if m["name"] == event_type]
    return message


def _data_schema_pointer(event_type: str) -> str:
    ref: str = _message(event_type)["payload"]["allOf"][1]["properties"]["data"]["$ref"]
    return ref.removeprefix("#")


def test_the_committed_document_is_the_generated_one() -> None:
    assert ASYNCAPI.read_text(encoding="utf-8") == asyncapi.render(), "run `mobility asyncapi`"


def test_mobility_asyncapi_check_fails_on_a_stale_file_and_writing_makes_it_current(tmp_path: Path) -> None:
    target = tmp_path / "asyncapi.yaml"
    target.write_text(ASYNCAPI.read_text(encoding="utf-8").replace("Mobility events", "Old events"))
    runner = CliRunner()
    assert runner.invoke(main, ["asyncapi", "--check", "--output", str(target)]).exit_code == 1
    assert runner.invoke(main, ["asyncapi", "--output", str(target)]).exit_code == 0
    assert runner.invoke(main, ["asyncapi", "--check", "--output", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == ASYNCAPI.read_text(encoding="utf-8")


def test_every_event_type_is_documented_with_a_channel_an_operation_and_its_data_schema() -> None:
    doc = _doc()
    assert doc["asyncapi"].startswith("3.")
    schemas = doc["components"]["schemas"]
    documented = {s["title"]: s for s in schemas.values() if s.get("title") in catalog.event_types()}
    assert set(documented) == set(catalog.event_types())
    assert {c["address"] for c in doc["channels"].values()} == set(catalog.event_types())
    operations = [o for o in doc["operations"].values() if o["action"] == "send"]
    assert len(operations) == len(catalog.event_types())
    for event_type, schema in documented.items():
        written = catalog.schema(event_type)
        assert schema["description"] == written["description"]
        assert _data_schema_pointer(event_type) == f"/components/schemas/{asyncapi._camel(event_type)}"
        source = _message(event_type)["payload"]["allOf"][1]["properties"]["source"]["const"]
        assert source == f"/services/{written['x-producer']}"
        # No JSON Schema keyword of the catalog's is lost on the way, and no $ref points outside the document.
        assert set(schema) == {k for k in written if not k.startswith(("$", "x-"))}, event_type
    assert "$ref': '_defs" not in str(doc) and "$defs" not in str(doc)


def test_the_shared_definitions_are_components_the_types_reference() -> None:
    schemas = _doc()["components"]["schemas"]
    for name in ("Application", "ApplicationKind", "ApplicationMobility", "ApplicationDecision", "ReviewTask"):
        assert name in schemas
    submitted = schemas["ApplicationSubmitted"]
    assert {"$ref": "#/components/schemas/Application"} in submitted["allOf"]
    assert schemas["Application"]["properties"]["kind"] == {"$ref": "#/components/schemas/ApplicationKind"}
    assert "enum" not in schemas["ApplicationKind"]
    assert "tolerate kinds they do not know" in schemas["ApplicationKind"]["description"]


def _variants(data: dict[str, Any]) -> list[Any]:
    out: list[Any] = [data, data | {"added_later": 1}, data | {"kind": "summer_school"}, data | {"kind": "Nope!"}]
    for field in data:
        missing = copy.deepcopy(data)
        del missing[field]
        out.append(missing)
        out.append(data | {field: {"not": "this"}})
    return out


@pytest.mark.parametrize("event_type", catalog.event_types())
def test_the_documented_data_schema_accepts_and_refuses_what_the_catalog_does(event_type: str) -> None:
    documented = _documented(_data_schema_pointer(event_type))
    for example in _message(event_type)["examples"]:
        for data in _variants(example["payload"]["data"]):
            try:
                catalog.validate(event_type, data)
                enforced = True
            except catalog.SchemaError:
                enforced = False
            assert documented.is_valid(data) is enforced, (event_type, data)


@pytest.mark.parametrize("event_type", catalog.event_types())
def test_every_example_is_a_valid_event_of_its_type(event_type: str) -> None:
    message = _message(event_type)
    payload = _documented(f"/components/messages/{asyncapi._lower_camel(event_type)}/payload")
    assert message["examples"]
    for example in message["examples"]:
        assert payload.is_valid(example["payload"]), example["name"]
        catalog.validate(event_type, example["payload"]["data"])
    assert not payload.is_valid(message["examples"][0]["payload"] | {"type": "something.else"})


def test_privacy_is_marked_on_every_message_and_private_types_are_said_to_stay_on_the_bus() -> None:
    doc = _doc()
    assert "user.registered" not in catalog.public_types()
    for event_type in catalog.event_types():
        message = _message(event_type)
        tag = "public" if catalog.is_public(event_type) else "private"
        assert message["tags"] == [{"$ref": f"#/components/tags/{tag}"}], event_type
        if tag == "private":
            assert "not in the HTTP event feed" in " ".join(message["description"].split())
        else:
            assert "also in the HTTP event feed" in " ".join(message["description"].split())
    assert set(doc["components"]["tags"]) == {"public", "private"}
    description = " ".join(doc["info"]["description"].split())
    assert ("Private types (`agreement.expiring`, `calendar.changed`, `mobility.due_soon`, "
            "`mobility.extension_requested`, `mobility.hold_cleared`, `mobility.hold_placed`, `mobility.overdue`, "
            "`mobility.report_decided`, `mobility.report_submitted`, `nomination.link_issued`, "
            "`passport.due_soon`, `passport.expiry_warning`, `passport.handed_out`, `passport.hold_cleared`, "
            "`passport.hold_placed`, `passport.overdue`, `passport.returned`, `program.saved`, "
            "`publicity.ended`, `publicity.objection_decided`, `publicity.objection_lodged`, `publicity.opened`, "
            "`user.registered`) travel on the bus only"
            ) in description
    assert "`GET /api/v1/events`" in description
