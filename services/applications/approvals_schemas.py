"""Schemas of the 任务批件's resources (approvals_api.py): the document, its PDF's language, the public
verification, a cancellation and a year's numbering. Unknown fields are refused."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")  # Regexp matches from the start


class ApprovalOut(Schema):
    number = fields.String(metadata={"description": "<prefix>〔<year>〕<seq>号"})
    revision = fields.Integer(metadata={"description": "1, then + 1 per approved change (the same number)"})
    status = fields.String(metadata={"description": "valid | superseded | cancelled"})
    superseded_by = fields.Integer(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    issued_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)
    verify_url = fields.String(metadata={"description": "the public verification page (also in the QR code)"})
    pdf_url = fields.String(metadata={"description": "this API's PDF of the document (?lang=en for English)"})


class PdfQuery(Schema):
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]),
                         metadata={"description": "zh (the default) or en"})


class VerificationOut(Schema):
    """Exactly what the public verification page may show."""

    number = fields.String()
    revision = fields.Integer()
    names = fields.List(fields.String(), metadata={"description": "the members' names"})
    countries = fields.List(fields.String(), metadata={"description": "ISO 3166-1 alpha-2 codes, in trip order"})
    start_date = fields.String(allow_none=True, metadata={"description": "leaving China (YYYY-MM-DD)"})
    end_date = fields.String(allow_none=True, metadata={"description": "back in China (YYYY-MM-DD)"})
    status = fields.String(metadata={"description": "valid | superseded | cancelled"})
    superseded_by = fields.Integer(allow_none=True, metadata={"description": "the revision that replaced it"})


class CancelIn(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), NOT_BLANK])
    version = fields.Integer(metadata={"description": "the version you saw (or send If-Match)"})


class SeriesIn(Schema):
    prefix = fields.String(required=True, validate=[validate.Length(min=1, max=40), NOT_BLANK],
                           metadata={"description": "the number's prefix for the year, e.g. 国合批"})


class SeriesOut(Schema):
    year = fields.Integer()
    prefix = fields.String()
    last_seq = fields.Integer(metadata={"description": "the last sequence number given (0: none yet)"})
