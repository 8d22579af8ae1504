"""Request and response schemas. Unknown fields are rejected; server-owned fields are dump-only."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

ONE_LINE_TEXT = validate.Regexp(
    r"^(?=.*\S)[^\x00-\x1f\x7f]*$", error="Must not be blank or contain line breaks or control characters."
)
NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")  # Regexp matches from the start


class StudentExchangeForm(Schema):
    program = fields.String(required=True, validate=[validate.Length(min=1, max=120), NOT_BLANK])
    term = fields.String(validate=validate.Length(max=40))
    motivation = fields.String(required=True, validate=[validate.Length(min=1, max=5000), NOT_BLANK])


class ApplicationCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["student_exchange"]))
    title = fields.String(required=True, validate=[validate.Length(min=1, max=200), ONE_LINE_TEXT])
    data = fields.Nested(StudentExchangeForm, required=True)


class ApplicationOut(Schema):
    id = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    applicant = fields.String(dump_only=True)
    school = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    data = fields.Dict(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    submitted_at = fields.DateTime(dump_only=True, allow_none=True)
