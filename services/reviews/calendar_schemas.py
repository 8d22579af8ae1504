"""Schemas of the official calendar's admin API (/api/v1/calendar/<year>). Unknown fields are refused."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class CalendarDayIn(Schema):
    date = fields.Date(required=True)
    workday = fields.Boolean(required=True, metadata={
        "description": "false: a holiday on a weekday; true: a 调休 make-up working day on a weekend"})
    name = fields.String(load_default="", validate=validate.Length(max=80),
                         metadata={"description": "the holiday's name, e.g. National Day / 国庆节"})


class CalendarYearIn(Schema):
    days = fields.List(fields.Nested(CalendarDayIn), required=True, validate=validate.Length(max=366), metadata={
        "description": "the year's days that differ from Monday to Friday; the others are left out (a day "
                       "given as what Monday to Friday says anyway is not kept)"})
    demo = fields.Boolean(load_default=False, metadata={"description": "demo data, not the official calendar"})


class CalendarDayOut(Schema):
    date = fields.Date()
    workday = fields.Boolean()
    name = fields.String()


class CalendarYearOut(Schema):
    year = fields.Integer()
    source = fields.String(metadata={"description": "entered | official package | unknown"})
    demo = fields.Boolean()
    days = fields.List(fields.Nested(CalendarDayOut), metadata={
        "description": "the days that differ from Monday to Friday (none when the year is unknown)"})
