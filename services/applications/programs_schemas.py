"""Schemas of the partner edits (PATCH /api/v1/partners/<id>): any of a partner's fields, checked as on
create; unknown fields are refused."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.applications.schemas import PartnerIn


class PartnerPatch(Schema):
    name = fields.String(validate=PartnerIn._declared_fields["name"].validators)
    country = fields.String(validate=PartnerIn._declared_fields["country"].validators)
    region = fields.String(validate=PartnerIn._declared_fields["region"].validators)
