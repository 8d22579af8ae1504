"""The event contract: CloudEvents envelope and the schema catalog."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from eventbus import catalog, envelope


def test_new_event_carries_the_contract_attributes() -> None:
    event = envelope.new_event("application.submitted", "/services/applications", "app-1", {"a": 1},
                               correlationid="req-7", aggregateversion=3)
    doc = json.loads(envelope.to_json(event))
    assert uuid.UUID(doc["id"])
    assert doc["specversion"] == "1.0"
    assert doc["type"] == "application.submitted"
    assert doc["source"] == "/services/applications"
    assert doc["subject"] == "app-1"
    assert doc["time"].endswith("Z")
    assert abs(datetime.fromisoformat(doc["time"]) - datetime.now(UTC)).total_seconds() < 5
    assert doc["correlationid"] == "req-7" and doc["aggregateversion"] == 3
    assert doc["datacontenttype"] == "application/json" and doc["data"] == {"a": 1}


def test_round_trip_keeps_everything() -> None:
    event = envelope.new_event("user.registered", "/services/gateway", "u", {"k": "v"}, aggregateversion=1)
    again = envelope.from_json(envelope.to_json(event))
    assert again.get_id() == event.get_id()
    assert again.get_data() == {"k": "v"}
    assert again.get_extension("aggregateversion") == 1


@pytest.mark.parametrize("body", [
    b"", b"\x00\xff", b"[1, 2]", b'{"type": "x"}', b"not json",
    b'{"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": "a string"}',
])
def test_from_json_refuses_what_is_not_a_cloudevent_with_object_data(body: bytes) -> None:
    with pytest.raises(envelope.EnvelopeError):
        envelope.from_json(body)


def test_every_catalog_schema_is_valid_and_named_after_its_type() -> None:
    types = catalog.event_types()
    assert {"application.submitted", "review.task_created", "user.registered"} <= set(types)
    for event_type in types:
        assert catalog.schema(event_type)["title"] == event_type


def test_validation_names_every_bad_field() -> None:
    with pytest.raises(catalog.SchemaError) as err:
        catalog.validate("application.submitted", {"application_id": "x", "kind": "Holiday!", "version": 0})
    message = str(err.value)
    for fragment in ("'applicant' is a required property", "kind", "version"):
        assert fragment in message


def test_unknown_type_is_refused() -> None:
    with pytest.raises(catalog.SchemaError, match="unknown event type"):
        catalog.validate("application.teleported", {})
