"""Request and response schemas of the reviews service. Unknown fields are rejected."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from services.reviews import conditions, levels
from services.reviews.roles import ROLES


class TaskOut(Schema):
    id = fields.String()
    application_id = fields.String()
    application_version = fields.Integer()
    kind = fields.String()
    program_id = fields.String(allow_none=True)
    title = fields.String()
    applicant = fields.String()
    applicant_name = fields.String(metadata={"description": "the applicant's full name (empty for older tasks)"})
    round = fields.Integer()
    level = fields.Integer()
    type = fields.String(metadata={"description": "the level's type (decision)"})
    role = fields.String()
    school = fields.String(allow_none=True)
    status = fields.String()
    claimed_by = fields.String(allow_none=True)
    claimed_at = fields.DateTime(allow_none=True, metadata={"description": "since when claimed_by holds it (null: "
                                                                           "not known, or not claimed)"})
    due_at = fields.DateTime()
    created_at = fields.DateTime()
    escalated_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"description": "approved | rejected | changes_requested"})
    may_claim = fields.Boolean(dump_only=True, metadata={
        "description": "whether the caller may claim it now (on a single task only)"})
    may_decide = fields.Boolean(dump_only=True, metadata={
        "description": "whether the caller may decide it now (on a single task only)"})


class TaskQuery(Schema):
    application_id = fields.String()
    kind = fields.String()
    program_id = fields.String()
    overdue = fields.Boolean(metadata={"description": "true: only tasks past their due time; false: the others"})
    q = fields.String(validate=validate.Length(min=1, max=80), metadata={
        "description": "search the applicant's full name or username (case-insensitive, part of it)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(metadata={"description": "from the previous page's Link: rel=\"next\" header"})


class DecisionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(sorted({o for t in levels.TYPES.values()
                                                                           for o in t.outcomes})),
                            metadata={"description": "a decision level: approve, reject, return; a publicity level "
                                                     "with an open objection: uphold_return, uphold_reject, "
                                                     "dismiss"})
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    internal_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000),
                                  metadata={"description": "seen by reviewers only, never by the applicant"})
    application_version = fields.Integer(required=True, metadata={"description": "the version you reviewed"})


class ReassignIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))


def condition_schema() -> dict[str, Any]:
    """A level's condition as conditions.validate checks it, for the API document: one branch per condition
    of the table, each with its threshold's schema."""
    predicates = [{"type": "object", "required": [name], "additionalProperties": False,
                   "properties": {name: dict(condition.threshold)}}
                  for name, condition in conditions.CONDITIONS.items()]
    return {"type": "object", "required": ["any"], "additionalProperties": False,
            "properties": {"any": {"type": "array", "minItems": 1, "items": {"oneOf": predicates}}}}


class Level(Schema):
    type = fields.String(load_default=None, validate=validate.OneOf(
        list(levels.TYPES), error="Unknown level type {input}; known: {choices}."),
        metadata={"description": f"the level's type; {levels.DEFAULT} when left out"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    scope = fields.String(required=True, validate=validate.OneOf(["school", "university"]))
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=60))
    working_days = fields.Integer(validate=validate.Range(min=1, max=30), metadata={
        "description": "a publicity level's period in official working days (required there)"})
    changes = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "a change after approval is re-approved from the first applicable level marked so (from "
                       "level 1 when none is)"})
    condition = fields.Dict(load_default=None, allow_none=True, metadata={
        "description": 'the level applies when any predicate holds: {"any": [{"duration_days_over": 30}, '
                       '{"budget_over": "50000"}]}; conditions: ' + ", ".join(conditions.CONDITIONS),
        **condition_schema()})


class ChainIn(Schema):
    levels = fields.List(fields.Nested(Level), required=True, validate=validate.Length(min=1, max=8))


class ChainOut(Schema):
    kind = fields.String()
    version = fields.Integer()
    levels = fields.List(fields.Dict())
    created_by = fields.String()
    created_at = fields.DateTime()


class DecisionOut(Schema):
    round = fields.Integer()
    level = fields.Integer()
    reviewer = fields.String()
    role = fields.String()
    outcome = fields.String()
    comment = fields.String(allow_none=True)
    internal_note = fields.String(allow_none=True)
    application_version = fields.Integer()
    decided_at = fields.DateTime()


class LevelStats(Schema):
    level = fields.Integer()
    role = fields.String()
    school = fields.String(allow_none=True)
    open_tasks = fields.Integer()


class TimeStats(Schema):
    level = fields.Integer()
    decided = fields.Integer()
    median_hours = fields.Float(allow_none=True)
    p90_hours = fields.Float(allow_none=True)


class StatsOut(Schema):
    open = fields.List(fields.Nested(LevelStats))
    time_per_level = fields.List(fields.Nested(TimeStats))
