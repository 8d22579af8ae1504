"""Hosted delegation or event (接待来访团组或活动): a school hosts a foreign delegation or an international
event of at most 30 days; it counts its visitors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields, validate

from services.applications.kinds import Field, Kind, labels
from services.applications.kinds.fields import (
    BUDGET,
    COUNTRY,
    END_DATE,
    SCHOOL_STAFF,
    START_DATE,
    budget,
    line,
    stored_period,
    text,
)

if TYPE_CHECKING:
    from services.applications.models import Program

MAX_DAYS = 30


class HostedEventForm(Schema):
    title = line(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    delegation_size = fields.Integer(required=True, validate=validate.Range(min=1, max=500))
    countries = fields.List(fields.String(validate=COUNTRY), required=True, validate=validate.Length(min=1, max=50))
    agenda = text(required=True)
    budget = budget()


FIELDS = (
    Field("title", "line", labels("Title", "标题")),
    START_DATE,
    END_DATE,
    Field("delegation_size", "integer", labels("Delegation size", "团组人数"),
          help=labels("The visitors coming, not the hosts.", "来访人数，不含接待人员。")),
    Field("countries", "countries", labels("Countries and regions", "国家（地区）"),
          help=labels("Where the visitors come from, the main one first.", "来访者所在国家（地区），主要的在前。")),
    Field("agenda", "text", labels("Agenda", "日程安排")),
    BUDGET,
)


def title(form: dict[str, Any], program: Program | None) -> dict[str, str]:
    name = form.get("title")
    return labels(str(name or "Hosted event"), str(name or "接待来访团组或活动"))


def facts(form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    """The first country named is the delegation's; its people are the delegation's size."""
    start, end = stored_period(form)
    countries = form.get("countries") or []
    return {"direction": "inbound", "people": int(form.get("delegation_size") or 0), "partner_id": None,
            "partner_name": None, "country": countries[0] if countries else None, "start_date": start,
            "end_date": end}


def travellers(form: dict[str, Any], applicant_name: str) -> list[dict[str, Any]]:
    """The event itself, by its title: its visitors are counted, not named."""
    return [{"name": form.get("title") or "", "staff_number": None, "role": "event"}]


KIND = Kind(
    name="hosted_event",
    labels=labels("Hosted delegation or event", "接待来访团组或活动"),
    form=HostedEventForm,
    fields=FIELDS,
    filed_by=SCHOOL_STAFF,
    needs_program=False,
    documents=(),
    title=title,
    facts=facts,
    max_days=MAX_DAYS,
    default_chain=(
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
    ),
    counts={"hosted_events": "applications", "hosted_visitors": "people"},
    travellers=travellers,
)
