"""Schemas of the office's rules for staff trips as data (/api/v1/trip-rules, /allowances, /trip-plans): the
categories' limits, the schools' own lead times, the per-country allowances and the schools' annual plans.
Unknown fields are refused; an edit gives every field (it replaces the row)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.applications.trip_rules import LEAD_UNITS

MOST_COUNTRIES = 50  # a bound for days_by_countries' keys when the number of countries is not limited
COUNTRY = r"^[A-Z]{2}$"
CURRENCY = r"^[A-Z]{3}$"


def positive_decimal(value: Any) -> str:
    """A positive decimal amount as a string ("180", "0.048"), raising ValidationError otherwise."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError("Must be a decimal number written as a string, e.g. \"180\" or \"0.048\".") from None
    if not amount.is_finite() or amount <= 0 or "e" in text.lower() or len(text) > 20:
        raise ValidationError("Must be a positive decimal number of at most 20 characters.")
    return text


class LeadTimeIn(Schema):
    lead_time = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=3650),
                               metadata={"description": "how long before leaving the trip is filed"})
    lead_unit = fields.String(required=True, validate=validate.OneOf(LEAD_UNITS),
                              metadata={"description": "days (calendar days) | working_days (official calendar)"})


class TripRuleIn(LeadTimeIn):
    max_countries = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=1),
                                   metadata={"description": "the most countries or regions; null: no limit"})
    max_members = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=1),
                                 metadata={"description": "the most members of a group; null: no limit"})
    days_by_countries = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, allow_none=True,
                                    metadata={"description": 'the most days abroad by number of countries, e.g. '
                                              '{"1": 5, "2": 8, "3": 10}; null: no limit'})

    @validates_schema(skip_on_field_errors=False)  # every error at once, the other fields' too
    def _days(self, data: dict[str, Any], **_: Any) -> None:
        days = data.get("days_by_countries")
        if days is None:
            return
        most = data.get("max_countries") or MOST_COUNTRIES
        problems = []
        for key, value in days.items():
            if not key.isdigit() or not 1 <= int(key) <= most:
                problems.append(f"Key \"{key}\" must be a number of countries from 1 to {most}.")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"The days for {key} must be a positive whole number.")
        if problems:
            raise ValidationError(problems, "days_by_countries")


class TripRuleOut(Schema):
    category = fields.String()
    labels = fields.Dict(metadata={"description": "the category's name, {en, zh}"})
    max_countries = fields.Integer(allow_none=True)
    max_members = fields.Integer(allow_none=True)
    days_by_countries = fields.Dict(allow_none=True)
    lead_time = fields.Integer()
    lead_unit = fields.String()
    version = fields.String(metadata={"description": "the rule's content hash; also its ETag, for If-Match"})


class SchoolLeadTimeOut(Schema):
    school = fields.String()
    category = fields.String()
    lead_time = fields.Integer()
    lead_unit = fields.String()


class TripRulesOut(Schema):
    categories = fields.List(fields.Nested(TripRuleOut))
    schools = fields.List(fields.Nested(SchoolLeadTimeOut), metadata={
        "description": "schools' own lead times, used instead of the category's"})
    lead_units = fields.Dict(metadata={"description": "lead_unit → {en, zh}"})


class AllowanceIn(Schema):
    currency = fields.String(required=True, validate=validate.Regexp(CURRENCY, error="Must be an ISO 4217 code "
                                                                     "of three capital letters, e.g. EUR."))
    lodging = fields.String(required=True, metadata={"description": "per person and night, in the currency"})
    meals = fields.String(required=True, metadata={"description": "meals and incidentals per person and day"})
    cny_rate = fields.String(required=True, metadata={"description": "yuan per unit of the currency"})

    @validates("lodging")
    def _lodging(self, value: str, **_: Any) -> None:
        positive_decimal(value)

    @validates("meals")
    def _meals(self, value: str, **_: Any) -> None:
        positive_decimal(value)

    @validates("cny_rate")
    def _rate(self, value: str, **_: Any) -> None:
        positive_decimal(value)


class AllowanceOut(Schema):
    country = fields.String()
    currency = fields.String()
    lodging = fields.String()
    meals = fields.String()
    cny_rate = fields.String()
    example = fields.Boolean(metadata={"description": "an example row the office has still to replace"})


class ImportOut(Schema):
    added = fields.Integer()
    replaced = fields.Integer()
    total = fields.Integer(metadata={"description": "countries with an allowance after the import"})


class TripPlanQuery(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))


class TripPlanIn(Schema):
    trips = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100000))
    people = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1000000))


class TripPlanOut(Schema):
    school = fields.String()
    year = fields.Integer()
    trips = fields.Integer()
    people = fields.Integer()
    used_trips = fields.Integer(metadata={"description": "the school's staff trips that year filed and not "
                                          "refused (submitted, in review, approved)"})
    used_people = fields.Integer()
