"""Request and response schemas of the register, its import, the audit log and the settings. Unknown fields are
refused; server-owned fields (the cipher, its key, version, status `handed_out`) are never loaded. No response
schema but NumberOut has a field for a whole number: everyone else sees `number_masked` and `number_last4`."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.passports.audit import ACTIONS
from services.passports.models import STATUSES, TYPES

SCHOOL = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Must be a school's code.")
USERNAME = validate.Length(min=1, max=80)
NOT_BLANK = validate.Regexp(r"^\s*\S", error="Must not be blank.")
# what crypto.normalised makes 5 to 20 letters and digits: said in the schema, so the document states the rule
NUMBER = validate.Regexp(r"^[\s-]*(?:[A-Za-z0-9][\s-]*){5,20}$",
                         error="5 to 20 letters and digits (spaces and hyphens are ignored).")
SETTABLE = ("in_custody", "lost", "expired", "cancelled")  # handed_out only through a hand-out


class PassportQuery(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    school = fields.String(validate=validate.Length(max=40))
    q = fields.String(validate=validate.Length(min=1, max=200),
                      metadata={"description": "part of the holder's name, or the staff number"})
    expiring_within = fields.Integer(validate=validate.Range(min=0, max=3650), metadata={
        "description": "days: passports expiring by today + N (not cancelled or lost)"})
    overdue = fields.Boolean(metadata={"description": "true: only passports out on a loan past its due date"})


class PassportIn(Schema):
    holder_name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    staff_number = fields.String(required=True, validate=[validate.Length(min=1, max=40), NOT_BLANK])
    holder_username = fields.String(load_default=None, allow_none=True, validate=USERNAME)
    school = fields.String(load_default=None, allow_none=True, validate=SCHOOL)
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    number = fields.String(required=True, validate=[validate.Length(min=5, max=40), NUMBER], metadata={
        "description": "5 to 20 letters and digits (spaces and hyphens are dropped, letters upper-cased)"})
    issued_on = fields.Date(load_default=None, allow_none=True)
    expires_on = fields.Date(required=True)
    kept_at = fields.String(load_default="", validate=validate.Length(max=200),
                            metadata={"description": "where it is kept, e.g. \"Safe 2, drawer 3\""})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PassportPatch(Schema):
    kept_at = fields.String(validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(SETTABLE), metadata={
        "description": "handed_out only through a hand-out; a passport out on loan may only become lost"})
    expires_on = fields.Date()
    issued_on = fields.Date(allow_none=True)
    holder_username = fields.String(allow_none=True, validate=USERNAME)
    school = fields.String(allow_none=True, validate=SCHOOL)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer(metadata={"description": "the version you saw (or an If-Match header)"})


class OpenLoanShown(Schema):
    id = fields.String()
    mobility_id = fields.String()
    title = fields.String()
    handed_out_on = fields.Date()
    due_on = fields.Date()
    overdue_days = fields.Integer(metadata={"description": "days past the due date (0 when not overdue)"})


class LoanShown(OpenLoanShown):
    handed_out_by = fields.String()
    handed_out_by_name = fields.String(metadata={
        "description": "the clerk's display name (their username for loans from before names were kept)"})
    handed_to = fields.String()
    returned_on = fields.Date(allow_none=True)
    returned_by = fields.String(allow_none=True)
    returned_by_name = fields.String(allow_none=True)
    received_from = fields.String(allow_none=True)
    slip_url = fields.String(metadata={"description": "the hand-out slip (PDF)"})


class HandoverOut(Schema):
    id = fields.String()
    loan_id = fields.String()
    action = fields.String(metadata={"description": "handed_out | returned"})
    at = fields.DateTime()
    on = fields.Date()
    by = fields.String()
    by_name = fields.Function(lambda h: h.by_name or h.by, metadata={
        "type": "string", "description": "the clerk's display name (their username for older handovers)"})
    person = fields.String()
    mobility_id = fields.String()


class TripChoice(Schema):
    mobility_id = fields.String()
    application_id = fields.String()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    school = fields.String()
    person_name = fields.String()
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    returned_on = fields.Date(allow_none=True)
    can_hand_out = fields.Boolean()
    why_not = fields.String(allow_none=True, metadata={"description": "why not, in words"})
    handout_from = fields.Date(allow_none=True, metadata={"description": "the first day it may go out"})
    due_on = fields.Date(allow_none=True, metadata={"description": "when it would be due back"})


class PassportOut(Schema):
    id = fields.String()
    holder_name = fields.String()
    staff_number = fields.String()
    holder_username = fields.String(allow_none=True)
    school = fields.String(allow_none=True)
    type = fields.String()
    number_masked = fields.String(metadata={"description": "\"••••\" and the last 4 characters"})
    number_last4 = fields.String()
    issued_on = fields.Date(allow_none=True)
    expires_on = fields.Date()
    kept_at = fields.String()
    status = fields.String()
    loan = fields.Nested(OpenLoanShown, allow_none=True)
    version = fields.Integer()


class PassportDetail(PassportOut):
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    handovers = fields.List(fields.Nested(HandoverOut), metadata={"description": "oldest first"})
    loans = fields.List(fields.Nested(LoanShown), metadata={"description": "oldest first"})
    trips = fields.List(fields.Nested(TripChoice), metadata={
        "description": "the clerk only: the holder's trips (by staff number, or by account for a trip naming none) "
                       "and whether it may go out for each"})


class PassportList(Schema):
    items = fields.List(fields.Nested(PassportOut))


class NumberOut(Schema):
    number = fields.String(metadata={"description": "the whole number (the clerk only; this look is audited)"})


class ImportOut(Schema):
    created = fields.Integer()
    expired = fields.Integer(metadata={"description": "of those created, how many were already past their expiry "
                                                      "date: entered with the status `expired`"})


class AuditQuery(Schema):
    passport_id = fields.String(validate=validate.Length(max=36))
    action = fields.String(validate=validate.OneOf(ACTIONS))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000),
                           metadata={"description": "at most this many entries (JSON; the CSV has them all)"})


class AuditEntryOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    actor_name = fields.Function(lambda e: e.actor_name or e.actor, metadata={
        "type": "string", "description": "the actor's display name (their username for older entries, commands)"})
    action = fields.String()
    passport_id = fields.String(allow_none=True)
    detail = fields.Dict()


class AuditList(Schema):
    items = fields.List(fields.Nested(AuditEntryOut), metadata={"description": "newest first"})


class SettingsIn(Schema):
    handout_days_before = fields.Integer(required=True, validate=validate.Range(min=0, max=90), metadata={
        "description": "a passport goes out no earlier than this many days before departure"})
    return_days = fields.Integer(required=True, validate=validate.Range(min=0, max=90),
                                 metadata={"description": "days after the return it is due back"})
    remind_days_before = fields.Integer(required=True, validate=validate.Range(min=0, max=60))
    school_hold_after_days = fields.Integer(required=True, validate=validate.Range(min=1, max=365))
    school_hold = fields.Boolean(required=True, metadata={
        "description": "hold the school's new applications once a passport is that many days overdue"})


class SettingsOut(SettingsIn):
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
