"""Response schemas of the notifications service."""

from __future__ import annotations

from marshmallow import Schema, fields


class NotificationOut(Schema):
    id = fields.String(dump_only=True)
    event_type = fields.String(dump_only=True)
    subject = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    link = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    read_at = fields.DateTime(dump_only=True, allow_none=True)


class InboxOut(Schema):
    unread = fields.Integer(dump_only=True)
    items = fields.List(fields.Nested(NotificationOut), dump_only=True)
