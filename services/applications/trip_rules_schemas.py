"""Schemas of the office's rules for staff trips as data (/api/v1/trip-rules, /allowances, /trip-plans): the
categories' limits, the schools' own lead times, the per-country allowances and the schools' annual plans.
Unknown fields are refused; an edit gives every field (it replaces the row)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.fields import Whole
from services.applications.trip_rules import LEAD_UNITS

MOST_COUNTRIES = 50  # a bound for days_by_countries' keys when the number of countries is not limited
COUNTRY = r"^[A-Z]{2}$"
CURRENCY = r"^[A-Z]{3}$"



# A positive decimal written as a string ("180", "0.048"): the schema states it, so clients see it.
POSITIVE_DECIMAL = r"^(?:[1-9][0-9]{0,11}(?:\.[0-9]{1,7})?|0\.[0-9]{0,6}[1-9][0-9]{0,6})$"
POSITIVE_DECIMAL_ERROR = "Must be a positive decimal number written as a string, e.g. \"180\" or \"0.048\"."


def _amount(description: str) -> fields.String:
    return fields.String(required=True, validate=validate.Regexp(POSITIVE_DECIMAL, error=POSITIVE_DECIMAL_ERROR),
                         metadata={"description": description})


DaysByCountries = Schema.from_dict(
    {str(n): Whole(validate=validate.Range(min=1)) for n in range(1, MOST_COUNTRIES + 1)},
    name="DaysByCountries")


class LeadTimeIn(Schema):
    lead_time = Whole(required=True, validate=validate.Range(min=0, max=3650),
                               metadata={"description": "how long before leaving the trip is filed"})
    lead_unit = fields.String(required=True, validate=validate.OneOf(LEAD_UNITS),
                              metadata={"description": "days (calendar days) | working_days (official calendar)"})


LIMIT_FITS = validate.Range(max=10000)  # far beyond any rule, and inside the column's integer (a 500 beyond it)


class TripRuleIn(LeadTimeIn):
    max_countries = Whole(required=True, allow_none=True, validate=[validate.Range(min=1), LIMIT_FITS],
                                   metadata={"description": "the most countries or regions; null: no limit"})
    max_members = Whole(required=True, allow_none=True, validate=[validate.Range(min=1), LIMIT_FITS],
                                 metadata={"description": "the most members of a group; null: no limit"})
    days_by_countries = fields.Nested(DaysByCountries, required=True, allow_none=True, metadata={
        "description": 'the most days abroad by number of countries, e.g. {"1": 5, "2": 8, "3": 10}: numbers up to '
                       'max_countries (when set); a number left out, or null, is no limit'})

    @validates_schema(skip_on_field_errors=False)  # every error at once, the other fields' too
    def _days(self, data: dict[str, Any], **_: Any) -> None:
        days = data.get("days_by_countries")
        if days is None:
            return
        most = data.get("max_countries") or MOST_COUNTRIES
        problems = []
        for key in days:
            if int(key) > most:
                problems.append(f"Days are given for 1 to {most} countries, not for \"{key}\".")
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
    lodging = _amount("per person and night, in the currency")
    meals = _amount("meals and incidentals per person and day, in the currency")
    cny_rate = _amount("yuan per unit of the currency")


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
    trips = Whole(required=True, validate=validate.Range(min=0, max=100000))
    people = Whole(required=True, validate=validate.Range(min=0, max=1000000))


class TripPlanOut(Schema):
    school = fields.String()
    year = fields.Integer()
    trips = fields.Integer()
    people = fields.Integer()
    used_trips = fields.Integer(metadata={"description": "the school's staff trips that year filed and not "
                                          "refused (submitted, in review, approved)"})
    used_people = fields.Integer()
