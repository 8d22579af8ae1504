"""Request and response schemas of /api/v1/nominations and /api/v1/partner-answers. Unknown fields are refused
(marshmallow's default)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.fields import Whole
from services.placements.models import NOMINATION_STATUSES

DECISIONS = ("approve", "reject")


class NominationIn(Schema):
    round_id = fields.UUID(required=True)
    application_id = fields.UUID(required=True)


class NominationQuery(Schema):
    round_id = fields.UUID(required=True, metadata={"description": "the round whose nominations to list"})


class NominationAnswerIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    version = Whole(metadata={"description": "the version you saw (or an If-Match header)"})


class CancelIn(Schema):
    version = Whole(metadata={"description": "the version you saw (or an If-Match header)"})


class PartnerAnswerIn(Schema):
    """The partner's answer (multipart form: these fields plus an optional `letter` file, a PDF)."""

    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class LetterOut(Schema):
    file_id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class NominationOut(Schema):
    id = fields.String(required=True)
    round_id = fields.String(required=True)
    application_id = fields.String(required=True)
    program_id = fields.String(allow_none=True)
    program_name = fields.String()
    applicant = fields.String()
    applicant_name = fields.String()
    school = fields.String(allow_none=True)
    term = fields.String(allow_none=True)
    partner_id = fields.String(required=True)
    partner_name = fields.String()
    status = fields.String(validate=validate.OneOf(NOMINATION_STATUSES))
    nominated_by = fields.String()
    nominated_at = fields.String()
    answered_at = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_via = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    letter = fields.Nested(LetterOut, allow_none=True)
    link_expires_at = fields.String(allow_none=True)
    link_used_at = fields.String(allow_none=True)
    version = fields.Integer()


class NominationList(Schema):
    items = fields.List(fields.Nested(NominationOut), required=True)


class PartnerSummary(Schema):
    """What the partner's link shows: one student, nothing of others."""

    student_name = fields.String()
    program_name = fields.String()
    partner_name = fields.String()
    term = fields.String(allow_none=True)
    status = fields.String()
    link_expires_at = fields.String(allow_none=True)
