"""Request and response schemas of /api/v1/places. Unknown fields are refused (marshmallow's default)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.fields import Whole
from services.placements.models import PLACE_SOURCES


class PlacesQuery(Schema):
    program_id = fields.UUID(required=True, metadata={"description": "the program whose partners' places to list"})


class PlaceIn(Schema):
    places = Whole(required=True, validate=validate.Range(min=0, max=1000))


class RecountQuery(Schema):
    replace = fields.Boolean(load_default=False, metadata={
        "description": "true: the agreements' count replaces numbers the office set by hand too"})


class PlaceOut(Schema):
    partner_id = fields.String(required=True)
    partner_name = fields.String(required=True)
    country = fields.String(allow_none=True)
    places = fields.Integer(allow_none=True, metadata={"description": "null: not set yet"})
    source = fields.String(allow_none=True, validate=validate.OneOf(PLACE_SOURCES))
    agreement_id = fields.String(allow_none=True)
    set_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class PlaceList(Schema):
    program_id = fields.String(required=True)
    program_name = fields.String(required=True)
    items = fields.List(fields.Nested(PlaceOut), required=True)
    kept = fields.List(fields.String(), metadata={
        "description": "after a recount: the partners whose number the office set by hand and was kept"})
