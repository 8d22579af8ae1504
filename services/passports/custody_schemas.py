"""Request and response schemas of the hand-out, the return and the slip. Unknown fields are refused; what the
server decides (the due date, who handed it out) is never loaded."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

NAME = validate.Length(min=1, max=200)


class HandoutIn(Schema):
    mobility_id = fields.UUID(required=True, metadata={"description": "the holder's approved trip (its record)"})
    handed_to = fields.String(load_default=None, validate=NAME,
                              metadata={"description": "who received it (default: the holder)"})
    on = fields.Date(load_default=None, metadata={"description": "the day it went out (default today; not later)"})


class ReturnIn(Schema):
    on = fields.Date(load_default=None, metadata={"description": "the day it came back (default today; not later)"})
    received_from = fields.String(load_default=None, validate=NAME,
                                  metadata={"description": "who handed it back (default: the holder)"})


class SlipQuery(Schema):
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))


class LoanOut(Schema):
    id = fields.String()
    passport_id = fields.String()
    mobility_id = fields.String()
    title = fields.String(metadata={"description": "the trip's title"})
    handed_out_on = fields.Date()
    handed_out_at = fields.DateTime()
    handed_out_by = fields.String()
    handed_out_by_name = fields.String(metadata={
        "description": "the clerk's display name (their username for loans from before names were kept)"})
    handed_to = fields.String()
    due_on = fields.Date()
    returned_on = fields.Date(allow_none=True)
    returned_at = fields.DateTime(allow_none=True)
    returned_by = fields.String(allow_none=True)
    returned_by_name = fields.String(allow_none=True)
    received_from = fields.String(allow_none=True)
    overdue_days = fields.Integer(metadata={"description": "days past the due date (0 while not overdue)"})
    slip_url = fields.String(metadata={"description": "the hand-out slip (PDF; ?lang=zh|en)"})

