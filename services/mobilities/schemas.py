"""Request and response schemas of the mobilities API. Unknown fields are refused; server-owned fields (status,
owner, version) are never loaded."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.mobilities.domain import ENDS, LIVE
from services.mobilities.kinds import CATEGORIES, REPORTING

TEXT = validate.Length(max=20000)


class DateIn(Schema):
    date = fields.Date(required=True, metadata={"description": "the day it happened (the office's calendar day)"})


class TickIn(Schema):
    done = fields.Boolean(required=True, validate=validate.Equal(True, error="Only true: an item ticked stays ticked."))
    on = fields.Date(load_default=None)


class NoShowIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DatesIn(Schema):
    end_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RecognitionIn(Schema):
    host_course = fields.String(required=True, validate=validate.Length(min=1, max=200))
    credits = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    home_course = fields.String(required=True, validate=validate.Length(min=1, max=200))
    recognised_credits = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class RecognitionOut(Schema):
    id = fields.String()
    host_course = fields.String()
    credits = fields.Float()
    grade = fields.String(allow_none=True)
    home_course = fields.String()
    recognised_credits = fields.Float()
    recorded_by = fields.String()
    created_at = fields.DateTime()


class FileOut(Schema):
    id = fields.String()
    file_type = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    uploaded_by = fields.String()
    created_at = fields.DateTime()


class ReportSections(Schema):
    schedule = fields.String(validate=TEXT, metadata={"description": "the schedule actually followed"})
    results = fields.String(validate=TEXT)
    contacts = fields.String(validate=TEXT, metadata={"description": "contacts made"})
    follow_up = fields.String(validate=TEXT)
    spending = fields.String(validate=TEXT, metadata={"description": "a summary of what was spent"})
    programme = fields.String(validate=TEXT, metadata={"description": "an event's programme as held"})


class ReportIn(Schema):
    sections = fields.Nested(ReportSections, required=True)


class ReportOut(Schema):
    id = fields.String()
    mobility_id = fields.String()
    status = fields.String(metadata={"description": "draft | submitted | school_accepted | accepted | returned"})
    sections = fields.Dict(keys=fields.String(), values=fields.String())
    due_on = fields.Date()
    submitted_on = fields.Date(allow_none=True)
    comment = fields.String(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    published_until = fields.Date(allow_none=True)
    required = fields.Dict(metadata={"description": "the rule it is held to: min_chars, photos, attendee_list"})


class DecisionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("accept", "return")))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class ExtensionOut(Schema):
    id = fields.String()
    end_date = fields.Date()
    reason = fields.String()
    status = fields.String(metadata={"description": "pending | approved | refused"})
    requested_by = fields.String()
    comment = fields.String(allow_none=True)


class PersonOut(Schema):
    name = fields.String()
    staff_number = fields.String(allow_none=True)
    role = fields.String()


class HostOut(Schema):
    partner_id = fields.String()
    name = fields.String(allow_none=True)
    country = fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2"})


class ChecklistItemOut(Schema):
    item = fields.String()
    done = fields.Boolean()
    done_on = fields.String(allow_none=True, metadata={"format": "date"})
    by = fields.String(allow_none=True)


class MobilityOut(Schema):
    id = fields.String()
    application_id = fields.String()
    group_id = fields.String()
    kind = fields.String()
    category = fields.String(allow_none=True)
    school = fields.String()
    owner = fields.String()
    owner_name = fields.String()
    person = fields.Nested(PersonOut)
    title = fields.String()
    host = fields.Nested(HostOut, allow_none=True, metadata={
        "description": "the partner that approved the student's nomination (placements); null until one does"})
    status = fields.String(metadata={"description": " | ".join(LIVE + ENDS)})
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    approved_end = fields.Date(allow_none=True)
    departed_on = fields.Date(allow_none=True)
    arrived_on = fields.Date(allow_none=True)
    returned_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    ended_reason = fields.String(allow_none=True)
    checklist = fields.List(fields.Nested(ChecklistItemOut))
    steps = fields.Dict(keys=fields.String(), values=fields.String())
    due = fields.List(fields.Dict(), metadata={"description": "what is due next: [{what, due_on, overdue}]"})
    holds = fields.List(fields.Dict(), metadata={"description": "open holds this record placed: [{what, scope}]"})
    report = fields.Nested(ReportOut, allow_none=True)
    extension = fields.Nested(ExtensionOut, allow_none=True)
    files = fields.List(fields.Nested(FileOut))
    recognitions = fields.List(fields.Nested(RecognitionOut))
    journey = fields.Dict(metadata={"description": "what this kind's record takes: checklist, steps, files, owes"})
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class MobilityList(Schema):
    items = fields.List(fields.Nested(MobilityOut))


class MobilityQuery(Schema):
    status = fields.String(validate=validate.OneOf(LIVE + ENDS))
    kind = fields.String(validate=validate.Length(max=40))
    school = fields.String(validate=validate.Length(max=40))
    application_id = fields.UUID()
    mine = fields.Boolean(load_default=False)


class RuleIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REPORTING))
    category = fields.String(load_default="*", validate=validate.OneOf(("*", *CATEGORIES)))
    min_chars = fields.Integer(required=True, validate=validate.Range(min=0, max=100000))
    photos = fields.Integer(required=True, validate=validate.Range(min=0, max=50))
    due_days = fields.Integer(required=True, validate=validate.Range(min=1, max=365))
    publish_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))
    attendee_list = fields.Boolean(load_default=False)


class RuleOut(RuleIn):
    pass


class RulesIn(Schema):
    rules = fields.List(fields.Nested(RuleIn), required=True, validate=validate.Length(min=1, max=100))


class RulesOut(Schema):
    rules = fields.List(fields.Nested(RuleOut))


class SchoolHoldIn(Schema):
    on = fields.Boolean(required=True)


class SchoolHoldOut(Schema):
    school = fields.String()
    on = fields.Boolean()


class DueOut(Schema):
    mobility = fields.Nested(MobilityOut)
    what = fields.String()
    due_on = fields.Date()
    days_overdue = fields.Integer()


class DueList(Schema):
    items = fields.List(fields.Nested(DueOut))


class PublishedOut(Schema):
    mobility_id = fields.String()
    title = fields.String()
    school = fields.String()
    person = fields.Nested(PersonOut)
    kind = fields.String()
    sections = fields.Dict(keys=fields.String(), values=fields.String())
    accepted_on = fields.Date()
    published_until = fields.Date()


class PublishedList(Schema):
    items = fields.List(fields.Nested(PublishedOut))


class ReportQueueItem(Schema):
    mobility = fields.Nested(MobilityOut)
    stage = fields.String()


class ReportQueue(Schema):
    items = fields.List(fields.Nested(ReportQueueItem))
