"""docs/asyncapi.yaml, the AsyncAPI 3.0 contract for outsiders, generated from the catalog (`mobility asyncapi`).

What is the same for every type (servers, bindings, the CloudEvents envelope, message traits) is written here;
everything per type comes from its schema in eventbus/schemas: the data schema, `description` (channel and
message summary), `x-producer` (the CloudEvents `source`), `x-public` (tagged public or private),
`x-aggregateversion` (false when the type carries none) and `x-asyncapi` (`notes`: the message's description,
`operation`: the publish operation's, `examples`: the envelope attributes and data of each example).
The shared definitions under eventbus/schemas/_defs become components/schemas, referenced from the types.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urldefrag, urljoin

from eventbus import catalog

DOCUMENT_VERSION = "0.4.0"
AMQP_BINDING_VERSION = "0.3.0"
HEADER = "# Generated from eventbus/schemas by `mobility asyncapi`; edit the schemas, not this file.\n"

_INTRO = """\
Events that Mobility's services publish on the RabbitMQ topic exchange `mobility.events`.
One channel per event type; the channel address is the routing key, which equals the CloudEvents `type`.

Every message is one CloudEvents 1.0 event in structured JSON mode (`application/cloudevents+json`):
the CloudEvents attributes (`id`, `source`, `type`, `subject`, `time`, `datacontenttype`) and the
extensions `correlationid` and `aggregateversion` travel in the body, not as AMQP headers. The AMQP
`message_id` property equals the CloudEvent `id`. Messages are persistent and published with
publisher confirms and `mandatory`.

To subscribe, bind a queue of your own to `mobility.events` with the routing keys you need.
Delivery is at least once: deduplicate by `id`, ignore unknown fields, and use `aggregateversion`
to ignore stale news; ordering is not guaranteed.

The notifications service consumes every public type and `user.registered`. Each message is tagged `public`
or `private`.
Public types are also available over HTTP, as the same CloudEvents with the same ids: signed webhooks
(Standard Webhooks) and the paged event feed `GET /api/v1/events`. See docs/integration.md in the
Mobility repository. Private types ({private}) travel on the bus only: they are never in the event
feed nor sent to webhooks. A type is private unless its schema declares `"x-public": true`.

This document is generated from `eventbus/schemas/` in the Mobility repository (JSON Schema draft
2020-12 there), which is the source of truth, by `mobility asyncapi`. Fields that several types share are
defined once there and appear here as components (`Application`, `ReviewTask`, ...) that the types' `data`
schemas reference. Adding optional fields is a compatible change; renaming or removing a field, or changing
its type, means a new event type. `kind` names an application kind and is an open string: a new kind is a
compatible change that appears without a new event version, so consumers must tolerate kinds they do not know.
"""

_PUBLIC = (
    "Public: also in the HTTP event feed (`GET /api/v1/events`) and sent to matching webhook subscriptions,\n"
    "as the same CloudEvent with the same id."
)
_PRIVATE = (
    "Private: travels on the bus only; not in the HTTP event feed (`GET /api/v1/events`) and never sent to\n"
    "webhooks."
)

_CLOUD_EVENT: dict[str, Any] = {
    "title": "CloudEvents 1.0 envelope (structured JSON mode)",
    "type": "object",
    "required": ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "correlationid",
                 "data"],
    "properties": {
        "specversion": {"type": "string", "const": "1.0"},
        "id": {"type": "string", "format": "uuid",
               "description": "Unique per event; also the AMQP message_id. Resends keep it. Deduplicate by it."},
        "source": {"type": "string", "description": "`/services/<producer>`."},
        "type": {"type": "string", "description": "The event type; equals the routing key."},
        "subject": {"type": "string", "description": "Id of the aggregate the event is about."},
        "time": {"type": "string", "format": "date-time", "description": "When the event was made, UTC."},
        "datacontenttype": {"type": "string", "const": "application/json"},
        "correlationid": {
            "type": "string",
            "description": "Extension. Carried from the HTTP request that caused the event (X-Correlation-ID).",
        },
        "aggregateversion": {
            "type": "integer", "minimum": 1,
            "description": "Extension. The subject's revision: one counter per application across application.* "
                           "and review.* news (a review event carries the revision of the submission it answers); "
                           "skip news lower than you applied.",
        },
        "data": {"type": "object"},
    },
    "additionalProperties": True,
}


def _camel(name: str) -> str:
    """`application.changes_requested` → `ApplicationChangesRequested`; `_defs/review_task` → `ReviewTask`."""
    words = name.removeprefix("_defs/").replace(".", "_").split("_")
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _lower_camel(event_type: str) -> str:
    name = _camel(event_type)
    return name[:1].lower() + name[1:]


def _component_name(uri: str) -> str:
    """The component a `$ref` (made absolute against its document's `$id`) lands on."""
    url, fragment = urldefrag(uri)
    if not url.startswith(catalog.BASE_URI):
        raise ValueError(f"$ref {uri!r} is outside the catalog")
    name = _camel(url.removeprefix(catalog.BASE_URI).removesuffix(".json"))
    if not fragment:
        return name
    if not fragment.startswith("/$defs/") or fragment.count("/") != 2:
        raise ValueError(f"$ref {uri!r}: only whole files and their $defs become components")
    return name + _camel(fragment.removeprefix("/$defs/"))


def _as_component(node: Any, base: str) -> Any:
    """A schema for components/schemas: `$ref`s point at components, `$`-keywords and `x-` extensions go."""
    if isinstance(node, list):
        return [_as_component(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = "#/components/schemas/" + _component_name(urljoin(base, value))
        elif not key.startswith(("$", "x-")):
            out[key] = _as_component(value, base)
    return out


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {"CloudEvent": copy.deepcopy(_CLOUD_EVENT)}
    for path, definition in catalog.definitions().items():
        base = catalog.BASE_URI + path
        name = _component_name(base)
        schemas[name] = _as_component(definition, base)
        for def_name, sub in definition.get("$defs", {}).items():
            schemas[_component_name(f"{base}#/$defs/{def_name}")] = _as_component(sub, base)
    for event_type in catalog.event_types():
        written = catalog.schema(event_type)
        schemas[_camel(event_type)] = _as_component(written, written["$id"])
    return schemas


def _message(event_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    producer = schema["x-producer"]
    source = f"/services/{producer}"
    docs = schema.get("x-asyncapi", {})
    public = catalog.is_public(event_type)
    envelope: dict[str, Any] = {
        "type": "object",
        "properties": {
            "type": {"const": event_type},
            "source": {"const": source},
            "data": {"$ref": f"#/components/schemas/{_camel(event_type)}"},
        },
    }
    if schema.get("x-aggregateversion", True):
        envelope = {"type": "object", "required": ["aggregateversion"], "properties": envelope["properties"]}
    examples = []
    for example in docs.get("examples", []):
        payload = {"specversion": "1.0", "id": example["id"], "type": event_type, "source": source,
                   "subject": example["subject"], "time": example["time"],
                   "datacontenttype": "application/json", "correlationid": example["correlationid"]}
        if "aggregateversion" in example:
            payload["aggregateversion"] = example["aggregateversion"]
        payload["data"] = example["data"]
        examples.append({"name": example["name"], "payload": payload})
    notes = "\n".join([*docs.get("notes", []), _PUBLIC if public else _PRIVATE]) + "\n"
    return {
        "name": event_type,
        "title": event_type.replace(".", " ").replace("_", " ").capitalize(),
        "summary": schema["description"],
        "description": notes,
        "tags": [{"$ref": f"#/components/tags/{'public' if public else 'private'}"}],
        "traits": [{"$ref": "#/components/messageTraits/cloudEvent"}],
        "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": event_type,
                              "bindingVersion": AMQP_BINDING_VERSION}},
        "payload": {"allOf": [{"$ref": "#/components/schemas/CloudEvent"}, envelope]},
        "examples": examples,
    }


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as a dict, from the catalog as it is now."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type in catalog.event_types():
        schema = catalog.schema(event_type)
        key = _lower_camel(event_type)
        channels[key] = {
            "address": event_type,
            "title": event_type,
            "description": schema["description"],
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"$ref": "#/components/channelBindings/mobilityEvents"},
        }
        operation: dict[str, Any] = {"action": "send", "title": f"{event_type}, published by {schema['x-producer']}"}
        if "operation" in schema.get("x-asyncapi", {}):
            operation["description"] = schema["x-asyncapi"]["operation"]
        operation |= {
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "bindings": {"$ref": "#/components/operationBindings/confirmedPublish"},
        }
        operations["publish" + _camel(event_type)] = operation
        messages[key] = _message(event_type, schema)
    private = ", ".join(f"`{t}`" for t in catalog.event_types() if not catalog.is_public(t)) or "none so far"
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Mobility events",
            "version": DOCUMENT_VERSION,
            "description": _INTRO.format(private=private),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {"rabbitmq": {
            "host": "{host}:{port}",
            "protocol": "amqp",
            "protocolVersion": "0.9.1",
            "description": "The RabbitMQ broker of a Mobility deployment (the virtual host is deployment-specific).",
            "variables": {"host": {"default": "localhost"}, "port": {"default": "5672"}},
            "security": [{"$ref": "#/components/securitySchemes/userPassword"}],
        }},
        "channels": channels,
        "operations": operations,
        "components": {
            "securitySchemes": {"userPassword": {"type": "userPassword",
                                                 "description": "RabbitMQ user name and password."}},
            "tags": {
                "public": {"name": "public", "description": _PUBLIC.replace("\n", " ")},
                "private": {"name": "private", "description": _PRIVATE.replace("\n", " ")},
            },
            "channelBindings": {"mobilityEvents": {"amqp": {
                "is": "routingKey",
                "exchange": {"name": "mobility.events", "type": "topic", "durable": True, "autoDelete": False},
                "bindingVersion": AMQP_BINDING_VERSION,
            }}},
            "operationBindings": {"confirmedPublish": {"amqp": {
                "deliveryMode": 2, "mandatory": True, "bindingVersion": AMQP_BINDING_VERSION,
            }}},
            "messageTraits": {"cloudEvent": {
                "contentType": "application/cloudevents+json",
                "correlationId": {
                    "description": "Ties the event to the HTTP request (X-Correlation-ID) that caused it; "
                                   "copied into follow-up events.",
                    "location": "$message.payload#/correlationid",
                },
            }},
            "messages": messages,
            "schemas": _schemas(),
        },
    }


def render(doc: dict[str, Any] | None = None) -> str:
    """The document as YAML text: scalar lists and short mappings of them inline, long texts as blocks."""
    import yaml  # a maintainer's tool: PyYAML is a dev dependency, not needed by the services

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)  # list items indented under their key

    def text(dumper: Dumper, value: str) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    def scalars(value: list[Any]) -> bool:
        return not any(isinstance(v, dict | list) for v in value)

    def mapping(dumper: Dumper, value: dict[str, Any]) -> yaml.Node:
        flat = all(not isinstance(v, dict) and (not isinstance(v, list) or scalars(v)) for v in value.values())
        flow = bool(value) and flat and len(json.dumps(value, ensure_ascii=False)) <= 90
        return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)

    def sequence(dumper: Dumper, value: list[Any]) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=bool(value) and scalars(value))

    Dumper.add_representer(str, text)
    Dumper.add_representer(dict, mapping)
    Dumper.add_representer(list, sequence)
    body = yaml.dump(document() if doc is None else doc, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     width=110)
    return HEADER + body
