"""A kind that exists only in the tests: a student's summer school abroad. Registering it at run time
(`with registered(): ...`) is all it takes for the applications service to take, check, announce and count it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from marshmallow import Schema, fields

from services.applications import kinds
from services.applications.kinds import Document, Field, Kind, labels
from services.applications.kinds.fields import END_DATE, START_DATE, country, line, stored_period

NAME = "summer_school"


class SummerSchoolForm(Schema):
    school_name = line(required=True)
    country = country(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)


def _facts(form: dict[str, Any], program: Any) -> dict[str, Any]:
    start, end = stored_period(form)
    return {"direction": "outbound", "people": 1, "partner_id": None, "partner_name": form.get("school_name"),
            "country": form.get("country"), "start_date": start, "end_date": end}


SUMMER_SCHOOL = Kind(
    name=NAME,
    labels=labels("Summer school", "暑期学校"),
    form=SummerSchoolForm,
    fields=(Field("school_name", "line", labels("Summer school", "暑期学校名称")),
            Field("country", "country", labels("Country or region", "国家（地区）")), START_DATE, END_DATE),
    filed_by=frozenset({"student"}),
    needs_program=False,
    documents=(Document("admission_letter", labels("Admission letter", "录取通知书")),),
    title=lambda form, program: labels(f"Summer school: {form.get('school_name') or 'unnamed'}",
                                       f"暑期学校：{form.get('school_name') or '未填名称'}"),
    facts=_facts,
    max_days=42,
    default_chain=({"role": "school_coordinator", "scope": "school", "days": 3},
                   {"role": "icd_officer", "scope": "university", "days": 5}),
    counts={"outbound_students": "applications"},
)
FORM = {"school_name": "Oxford Summer School", "country": "GB", "start_date": "2031-07-06",
        "end_date": "2031-08-02"}


@contextmanager
def registered() -> Iterator[Kind]:
    kinds.register(SUMMER_SCHOOL)
    try:
        yield SUMMER_SCHOOL
    finally:
        kinds.unregister(NAME)
KIND = SUMMER_SCHOOL  # what MOBILITY_KIND_MODULES=tests.support.summer_school loads in every process
