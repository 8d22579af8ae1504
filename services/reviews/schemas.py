"""Response schemas of the reviews service."""

from __future__ import annotations

from marshmallow import Schema, fields


class TaskOut(Schema):
    id = fields.String(dump_only=True)
    application_id = fields.String(dump_only=True)
    application_version = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    applicant = fields.String(dump_only=True)
    level = fields.Integer(dump_only=True)
    role = fields.String(dump_only=True)
    school = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True)
    due_at = fields.DateTime(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
