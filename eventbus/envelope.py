"""The CloudEvents 1.0 envelope, structured JSON mode, built and read with the `cloudevents` package."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

CONTENT_TYPE = "application/cloudevents+json"
_FORMAT = JSONFormat()


class EnvelopeError(ValueError):
    """The bytes are not a CloudEvent we can read."""


def new_event(
    type: str,
    source: str,
    subject: str,
    data: dict[str, Any],
    *,
    correlationid: str | None = None,
    aggregateversion: int | None = None,
) -> CloudEvent:
    attributes: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": type,
        "source": source,
        "subject": subject,
        "time": datetime.now(UTC),
        "datacontenttype": "application/json",
        "correlationid": correlationid or str(uuid.uuid4()),
    }
    if aggregateversion is not None:
        attributes["aggregateversion"] = int(aggregateversion)
    return CloudEvent(attributes, data)


def to_json(event: CloudEvent) -> bytes:
    return _FORMAT.write(event)


def from_json(body: bytes | str) -> CloudEvent:
    try:
        event = _FORMAT.read(None, body)
    except Exception as exc:  # the library raises several kinds; to us they all mean "undecodable"
        raise EnvelopeError(f"not a CloudEvents JSON document: {exc}") from exc
    if not isinstance(event.get_data(), dict):
        raise EnvelopeError("event data must be a JSON object")
    if event.get_specversion() != "1.0":
        raise EnvelopeError(f"unsupported specversion {event.get_specversion()!r}")
    return event
