"""GET /api/v1/kinds: what the pages need to offer and render each kind of application, from the registry.

Labels in both languages, who may file it, whether it needs a program, its longest period, its documents, and
its fields in form order with their widget and the constraints the form schema enforces (read from it, so they
are stated once). Any signed-in user may read it.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from chassis.blueprint import Blueprint
from services.applications import kinds
from services.applications.kinds import Field, Kind

blp = Blueprint("kinds", __name__, url_prefix="/api/v1/kinds", description="Kinds of application")


class LabelsOut(Schema):
    en = fields.String(required=True)
    zh = fields.String(required=True)


class ChoiceOut(Schema):
    value = fields.String(required=True)
    labels = fields.Nested(LabelsOut, required=True)


class FieldOut(Schema):
    name = fields.String(required=True)
    widget = fields.String(required=True, validate=validate.OneOf(sorted(kinds.WIDGETS)))
    required = fields.Boolean(required=True)
    labels = fields.Nested(LabelsOut, required=True)
    help = fields.Nested(LabelsOut, allow_none=True, required=True)
    choices = fields.List(fields.Nested(ChoiceOut), allow_none=True, required=True)
    min = fields.Float(allow_none=True, required=True)
    max = fields.Float(allow_none=True, required=True)
    max_length = fields.Integer(allow_none=True, required=True)
    max_items = fields.Integer(allow_none=True, required=True)
    fields = fields.List(fields.Nested(lambda: FieldOut()), allow_none=True, required=True,
                         metadata={"description": "a group's (or one item's of a list of groups) own fields, "
                                                  "in order"})


class KindDocumentOut(Schema):
    type = fields.String(required=True)
    required = fields.Boolean(required=True)
    labels = fields.Nested(LabelsOut, required=True)


class KindOut(Schema):
    name = fields.String(required=True)
    labels = fields.Nested(LabelsOut, required=True)
    filed_by = fields.List(fields.String(), required=True, metadata={"description": "roles that may file it"})
    needs_program = fields.Boolean(required=True)
    max_days = fields.Integer(allow_none=True, required=True, metadata={"description": "longest period, in days"})
    documents = fields.List(fields.Nested(KindDocumentOut), required=True)
    fields = fields.List(fields.Nested(FieldOut), required=True, metadata={"description": "in form order"})


class KindList(Schema):
    items = fields.List(fields.Nested(KindOut), required=True)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _validator(field: Any, kind: type) -> Any:
    return next((v for v in getattr(field, "validators", ()) if isinstance(v, kind)), None)


def describe_field(meta: Field, field: Any) -> dict[str, Any]:
    """One field's metadata and the constraints its marshmallow field enforces."""
    bounds, length = _validator(field, validate.Range), _validator(field, validate.Length)
    is_list = isinstance(field, fields.List)
    nested = kinds.nested_schema(field) if meta.widget in kinds.NESTED else None
    # "needed" in a field's metadata: required at submission by a rule of the form rather than by the field
    required = bool(field.required or field.metadata.get("needed"))
    return {
        "name": meta.name, "widget": meta.widget, "required": required, "labels": meta.labels,
        "help": meta.help,
        "choices": [{"value": c.value, "labels": c.labels} for c in meta.choices] if meta.choices else None,
        "min": _number(bounds.min) if bounds else None, "max": _number(bounds.max) if bounds else None,
        "max_length": length.max if length and not is_list else None,
        "max_items": length.max if length and is_list else None,
        "fields": [describe_field(sub, nested.fields[sub.name]) for sub in meta.fields or ()] if nested else None,
    }


def describe(kind: Kind) -> dict[str, Any]:
    form = kind.schema
    return {
        "name": kind.name, "labels": kind.labels, "filed_by": sorted(kind.filed_by),
        "needs_program": kind.needs_program, "max_days": kind.max_days,
        "documents": [{"type": d.type, "required": d in kind.documents, "labels": d.labels}
                      for d in kind.all_documents],
        # a field not offered (an earlier client's shorthand, a total the service works out) is still accepted
        "fields": [describe_field(meta, form.fields[meta.name]) for meta in kind.fields
                   if form.fields[meta.name].metadata.get("offered", True)],
    }


@blp.route("")
class Kinds(MethodView):
    @blp.response(200, KindList)
    def get(self) -> dict[str, Any]:
        """Every kind of application, by name: labels, who files it, documents and fields in form order."""
        return {"items": [describe(kind) for kind in kinds.all_kinds()]}
