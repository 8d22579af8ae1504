"""Request and response schemas of /api/v1/agreements. Unknown fields are refused (marshmallow's default);
server-owned fields (id, version, document, reminder_sent_for, created_*) are never loaded."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.fields import Whole
from services.placements.models import AGREEMENT_STATUSES, AGREEMENT_TYPES, DEGREE_LEVELS, DIRECTIONS, MOBILITY_TYPES

CEFR = ("A1", "A2", "B1", "B2", "C1", "C2")
# Every rule on a single value is a Regexp or OneOf, so the document states it (`pattern`, `enum`); \Z, not $:
# Python's $ lets a trailing newline through (the chassis writes $ into the document, ECMA's end).
# Not blank: Python's \s and ECMA's differ (\x1c-\x1f and \x85 are only Python's, \ufeff only ECMA's), so the
# class names them and reads the same in both.
NOT_BLANK = validate.Regexp(r"^[\s\x1c-\x1f\x85\ufeff]*[^\s\x1c-\x1f\x85\ufeff]", error="Must not be blank.")
COUNTRY = validate.Regexp(r"^[A-Z]{2}\Z", error="An ISO 3166-1 alpha-2 code, e.g. DE.")
ISCED = validate.Regexp(r"^[0-9]{4}\Z", error="An ISCED-F 2013 detailed field: 4 digits, e.g. 0613.")
LANGUAGE = validate.Regexp(r"^[a-z]{2}\Z", error="An ISO 639-1 code, e.g. en.")



def _academic_year_pattern() -> str:
    """"2031/2032": a year and the next (EWP's academic-year-id), as a regular expression, so that the document
    states the rule (a generator then makes valid years). The next year is spelt out digit by digit: the last
    digit that is not a 9 goes up by one, and the 9s after it become 0s (2039/2040, 2099/2100)."""
    alternatives = []
    for nines in range(4):
        kept = 3 - nines  # the digits before the one that goes up
        head = f"([0-9]{{{kept}}})" if kept else ""
        group = f"(?:\\{nines + 1})" if kept else ""  # (?:) so that \1 then 1 is not read as \11
        ups = "|".join(f"{d}{'9' * nines}/{group}{d + 1}{'0' * nines}" for d in range(9))
        alternatives.append(f"{head}(?:{ups})")
    return "^(?:" + "|".join(alternatives) + ")\\Z"


ACADEMIC_YEAR = validate.Regexp(_academic_year_pattern(), error="An academic year as 2031/2032.")


class ContactIn(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    role = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "e.g. signer, institutional coordinator, incoming students"})


class LanguageIn(Schema):
    language = fields.String(required=True, validate=LANGUAGE)
    cefr = fields.String(required=True, validate=validate.OneOf(CEFR))


class TermIn(Schema):
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS), metadata={
        "description": "outgoing: our people go to the partner; incoming: the partner's come here"})
    mobility_type = fields.String(required=True, validate=validate.OneOf(MOBILITY_TYPES))
    places_per_year = Whole(required=True, validate=validate.Range(min=0, max=1000))
    total_months = Whole(load_default=0, validate=validate.Range(min=0, max=12000),
                                  metadata={"description": "months of mobility a year, all places together"})
    subject_codes = fields.List(fields.String(validate=ISCED), load_default=list,
                                validate=validate.Length(max=50))
    degree_levels = fields.List(fields.String(validate=validate.OneOf(DEGREE_LEVELS)), load_default=list,
                                metadata={"description": "EWP's EQF levels 6, 7, 8"})
    languages = fields.List(fields.Nested(LanguageIn), load_default=list, validate=validate.Length(max=10))
    academic_years = fields.List(fields.String(validate=ACADEMIC_YEAR), load_default=list,
                                 validate=validate.Length(max=20), metadata={
                                     "description": "\"2031/2032\" ...; empty: every year the agreement is valid",
                                     "uniqueItems": True})  # agreements.problems refuses a year twice


class AgreementIn(Schema):
    partner_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the partner as the applications service knows it; null: a partner it does not know yet"})
    partner_name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    partner_country = fields.String(required=True, validate=COUNTRY)
    type = fields.String(required=True, validate=validate.OneOf(AGREEMENT_TYPES))
    status = fields.String(load_default="draft", validate=validate.OneOf(("draft", "signed")))
    signed_on = fields.Date(load_default=None, allow_none=True)
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    contacts = fields.List(fields.Nested(ContactIn), load_default=list, validate=validate.Length(max=20))
    terms = fields.List(fields.Nested(TermIn), load_default=list, validate=validate.Length(max=50))


class AgreementPatch(Schema):
    partner_id = fields.UUID(allow_none=True)
    partner_name = fields.String(validate=[validate.Length(min=1, max=200), NOT_BLANK])
    partner_country = fields.String(validate=COUNTRY)
    type = fields.String(validate=validate.OneOf(AGREEMENT_TYPES))
    status = fields.String(validate=validate.OneOf(AGREEMENT_STATUSES), metadata={
        "description": "draft → signed | terminated; signed → expired | terminated; expired → signed | terminated"})
    signed_on = fields.Date(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    contacts = fields.List(fields.Nested(ContactIn), validate=validate.Length(max=20))
    terms = fields.List(fields.Nested(TermIn), validate=validate.Length(max=50), metadata={
        "description": "replaces every term of the agreement"})
    version = Whole(metadata={"description": "the version you saw (or an If-Match header)"})


class AgreementQuery(Schema):
    partner = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "a partner's id, or part of its name (any case)"})
    status = fields.String(validate=validate.OneOf(AGREEMENT_STATUSES))
    type = fields.String(validate=validate.OneOf(AGREEMENT_TYPES))
    expiring_within = fields.Integer(validate=validate.Range(min=0, max=3650), metadata={
        "description": "days: signed agreements whose valid_to is between today and today + N"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(metadata={"description": "next_cursor of the previous page"})


class ExportQuery(Schema):
    status = fields.String(validate=validate.OneOf(AGREEMENT_STATUSES), metadata={
        "description": "only the agreements of this status (e.g. signed); all when absent"})


class ContactOut(Schema):
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    role = fields.String(allow_none=True)


class LanguageOut(Schema):
    language = fields.String()
    cefr = fields.String()


class TermOut(Schema):
    id = fields.String()
    direction = fields.String()
    mobility_type = fields.String()
    places_per_year = fields.Integer()
    total_months = fields.Integer()
    subject_codes = fields.List(fields.String())
    degree_levels = fields.List(fields.String())
    languages = fields.List(fields.Nested(LanguageOut))
    academic_years = fields.List(fields.String())


class DocumentOut(Schema):
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.String(allow_none=True)


class AgreementOut(Schema):
    id = fields.String()
    partner_id = fields.String(allow_none=True)
    partner_name = fields.String()
    partner_country = fields.String()
    type = fields.String()
    status = fields.String()
    signed_on = fields.Date(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    contacts = fields.List(fields.Nested(ContactOut))
    terms = fields.List(fields.Nested(TermOut))
    document = fields.Nested(DocumentOut, allow_none=True, metadata={"description": "the signed scan, if kept"})
    reminder_sent_for = fields.Date(allow_none=True, metadata={
        "description": "the end date the expiry reminder was sent for"})
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class AgreementPage(Schema):
    items = fields.List(fields.Nested(AgreementOut))
    next_cursor = fields.String(allow_none=True)
