"""The OpenAPI document's kind-specific parts, generated from the kinds registry when the app is built.

Each kind's form is a component (`<Form>`: what a submission needs; `<Form>Draft`: the same with nothing
required, what a draft may hold). POST /api/v1/applications takes a `oneOf` of one variant per kind with
`kind` as discriminator (its program required for a kind filed under one, null otherwise); an application's
`form` is documented as any of the drafts. The server still validates with marshmallow (domain.validate_form).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from marshmallow import Schema, fields

from services.applications import kinds
from services.applications.kinds import Kind

REF = "#/components/schemas/"
CREATE_PATH = "/api/v1/applications"


def document_kinds(app: Flask) -> None:
    spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec
    variants = {}
    for kind in kinds.all_kinds():
        complete, draft = _component(spec, kind.form), _component(spec, draft_of(kind.form))
        name = f"{kind.form.__name__.removesuffix('Form')}Create"
        spec.components.schema(name, component=_create_variant(kind, draft, complete))
        variants[kind.name] = REF + name
    # apispec has no public way to replace an operation's request body once flask-smorest registered it; its
    # paths are a plain dict that to_dict() serves as they are.
    operation = spec._paths[CREATE_PATH]["post"]
    operation["requestBody"]["content"]["application/json"]["schema"] = {
        "oneOf": [{"$ref": ref} for ref in variants.values()],
        "discriminator": {"propertyName": "kind", "mapping": variants},
    }
    out = spec.components.schemas["ApplicationOut"]["properties"]
    out["form"] = {"type": "object", "description": "the kind's form as stored: the fields of its <Form> "
                   "component (a draft's may be incomplete), decimals as strings such as \"12000.00\""}
    out["titles"] = {"type": "object", "required": ["en", "zh"], "description": "the title in each language",
                     "properties": {"en": {"type": "string"}, "zh": {"type": "string"}}}


def _component(spec: Any, schema: type[Schema]) -> str:
    if schema.__name__ not in spec.components.schemas:  # nested ones come with their parent (same names)
        spec.components.schema(schema.__name__, schema=schema)
    _numeric_bounds(spec.components.schemas[schema.__name__])
    for field in schema._declared_fields.values():
        if isinstance(field, fields.Nested) and isinstance(field.nested, type):
            _component(spec, field.nested)
    return REF + schema.__name__


def _numeric_bounds(component: dict[str, Any]) -> None:
    """apispec writes a Decimal field's Range as strings ("0.00"); JSON Schema wants numbers."""
    for prop in component.get("properties", {}).values():
        for bound in ("minimum", "maximum"):
            if isinstance(prop.get(bound), str):
                prop[bound] = float(prop[bound])


def _create_variant(kind: Kind, draft: str, complete: str) -> dict[str, Any]:
    program = ({"type": "string", "format": "uuid", "description": "a program of this kind (/api/v1/programs)"}
               if kind.needs_program else {"type": "null", "description": "this kind is not filed under a program"})
    return {
        "type": "object", "additionalProperties": False,
        "required": ["kind", "form", *(["program_id"] if kind.needs_program else [])],
        "properties": {
            "kind": {"type": "string", "enum": [kind.name]},
            "program_id": program,
            "form": {"$ref": draft, "description": f"what is there must be valid; submitting needs all of {complete}"},
        },
    }


_drafts: dict[type[Schema], type[Schema]] = {}


def draft_of(schema: type[Schema]) -> type[Schema]:
    """The same form with no field required (nested ones too): what a draft may hold."""
    if schema not in _drafts:
        declared = {}
        for name, field in schema._declared_fields.items():
            copied = field.__class__.__new__(field.__class__)
            copied.__dict__.update(field.__dict__)
            copied.required = False
            if isinstance(field, fields.Nested) and isinstance(field.nested, type):
                copied.nested = draft_of(field.nested)
                copied.__dict__["_schema"] = None  # the cached instance of the complete schema: not shared
            declared[name] = copied
        _drafts[schema] = Schema.from_dict(declared, name=f"{schema.__name__}Draft")
    return _drafts[schema]
