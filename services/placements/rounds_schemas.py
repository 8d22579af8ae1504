"""Request and response schemas of /api/v1/selection-rounds and /api/v1/offers. Unknown fields are refused
(marshmallow's default); decimals travel as strings so that the published scores are exact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from chassis.fields import Whole
from services.placements.models import CRITERIA, OFFER_STATUSES, ROUND_STATUSES

RUN_REASONS = ("manual", "score_change")  # the reasons the ICD gives; the others come from answers and the sweep


class RoundIn(Schema):
    program_id = fields.UUID(required=True)
    formula = fields.Dict(load_default=None, metadata={
        "description": "weights (decimal strings) over gpa, language, interview; bonus true/false; language_max "
                       "per certificate. Missing: the default formula"})
    offer_days = Whole(load_default=7, validate=validate.Range(min=1, max=60))
    publicity_days = Whole(load_default=5, validate=validate.Range(min=1, max=30), metadata={
        "description": "official working days the candidate list is published for (差额公示)"})


class RoundsQuery(Schema):
    program_id = fields.UUID(load_default=None)


class CellIn(Schema):
    application_id = fields.UUID(required=True)
    criterion = fields.String(required=True, validate=validate.OneOf(CRITERIA))
    value = fields.Decimal(required=True, as_string=True, places=None, allow_nan=False, metadata={
        "description": "interview 0–100, bonus 0–10, at most 2 decimals", "minimum": 0, "maximum": 100})

    @validates("value")
    def _in_range(self, value: Decimal, **kwargs: Any) -> None:
        """The widest range of any criterion (interview 0–100); ranking.check_entry holds each criterion's own.
        A method, not validate.Range, which would put the bounds in the OpenAPI document as strings for a decimal
        (the metadata states them as numbers)."""
        if not Decimal(0) <= value <= Decimal(100):
            raise ValidationError("A score is between 0 and 100.")

    @validates_schema(pass_collection=True)
    def _each_cell_once(self, data: Any, many: bool, **kwargs: Any) -> None:
        """A request names each (candidate, criterion) once: PostgreSQL cannot write one row twice in a statement,
        and which of two values was meant is not known."""
        if not many:
            return
        seen: dict[tuple[str, str], int] = {}
        errors: dict[int, dict[str, list[str]]] = {}
        for index, cell in enumerate(data):
            key = (str(cell.get("application_id")), str(cell.get("criterion")))
            if key in seen:
                errors[index] = {"criterion": [f"This candidate's {key[1]} is already given at {seen[key]}."]}
            else:
                seen[key] = index
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]


class CloseIn(Schema):
    version = Whole(load_default=None, metadata={"description": "the round's version as read"})


class RunIn(Schema):
    reason = fields.String(load_default="manual", validate=validate.OneOf(RUN_REASONS))


class OfferShort(Schema):
    offer_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    partner_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(OFFER_STATUSES))
    deadline = fields.DateTime(required=True)


class RankingRow(Schema):
    position = fields.Integer(required=True)
    application_id = fields.String(required=True)
    applicant = fields.String(required=True)
    name = fields.String(required=True)
    school = fields.String(allow_none=True)
    parts = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "the normalised parts as shown: gpa, language, interview (0–100), bonus (0–10)"})
    score = fields.String(required=True)
    missing = fields.List(fields.String(), required=True, metadata={"description": "inputs not entered yet (0)"})
    choices = fields.List(fields.Dict(), required=True)
    allocated = fields.String(allow_none=True, metadata={"description": "the partner of the latest run"})
    offer = fields.Nested(OfferShort, allow_none=True, metadata={"description": "the student's current offer"})


class RoundOut(Schema):
    id = fields.String(required=True)
    program_id = fields.String(required=True)
    program_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ROUND_STATUSES))
    formula = fields.Dict(required=True)
    offer_days = fields.Integer(required=True)
    opened_by = fields.String(required=True)
    opened_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)
    runs = fields.Integer(required=True, metadata={"description": "how many allocation runs so far"})
    ranking = fields.List(fields.Nested(RankingRow), metadata={"description": "one round's detail only"})


class RoundList(Schema):
    items = fields.List(fields.Nested(RoundOut), required=True)


class RunOut(Schema):
    id = fields.String(required=True)
    number = fields.Integer(required=True)
    run_at = fields.DateTime(required=True)
    run_by = fields.String(required=True)
    reason = fields.String(required=True)
    inputs = fields.Dict(required=True)
    result = fields.Dict(required=True)


class RunList(Schema):
    items = fields.List(fields.Nested(RunOut), required=True)


class OffersQuery(Schema):
    mine = fields.Boolean(load_default=False, metadata={
        "description": "true: the caller's own offers, even with round_id; they are also what comes without round_id"})
    round_id = fields.UUID(load_default=None, metadata={"description": "staff: a round's offers (unless mine)"})


class OfferAnswerIn(Schema):
    version = Whole(required=True, metadata={"description": "the offer's version as read"})


class OfferOut(Schema):
    id = fields.String(required=True)
    round_id = fields.String(required=True)
    program_id = fields.String(allow_none=True)
    program_name = fields.String(required=True)
    application_id = fields.String(required=True)
    applicant = fields.String(required=True)
    applicant_name = fields.String(required=True)
    school = fields.String(allow_none=True)
    partner_id = fields.String(required=True)
    partner_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(OFFER_STATUSES))
    deadline = fields.DateTime(required=True)
    made_at = fields.DateTime(required=True)
    answered_at = fields.DateTime(allow_none=True)
    version = fields.Integer(required=True)


class OfferList(Schema):
    items = fields.List(fields.Nested(OfferOut), required=True)
