"""Faculty trip abroad (教师出访, a staff trip abroad 因公出国（境）): a teacher or staff member goes to an
institution abroad for a conference, research, a visit or teaching, for at most a year."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields, validate

from services.applications.kinds import Choice, Document, Field, Kind, labels
from services.applications.kinds.fields import (
    BUDGET,
    END_DATE,
    START_DATE,
    budget,
    country,
    line,
    stored_period,
)

if TYPE_CHECKING:
    from services.applications.models import Program

MAX_DAYS = 365
PURPOSES = (
    Choice("conference", labels("Conference", "参加学术会议")),
    Choice("joint_research", labels("Joint research", "合作研究")),
    Choice("visiting_scholar", labels("Visiting scholar", "访问学者")),
    Choice("teaching", labels("Teaching", "授课")),
)


class FacultyExchangeForm(Schema):
    destination_institution = line(required=True)
    destination_country = country(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf([p.value for p in PURPOSES]))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    funding_source = line(required=True)
    budget = budget()


FIELDS = (
    Field("destination_institution", "line", labels("Host institution", "接收单位")),
    Field("destination_country", "country", labels("Country or region", "国家（地区）")),
    Field("purpose", "choice", labels("Purpose", "出访目的"), choices=PURPOSES),
    START_DATE,
    END_DATE,
    Field("funding_source", "line", labels("Funding source", "经费来源")),
    BUDGET,
)


def title(form: dict[str, Any], program: Program | None) -> dict[str, str]:
    where = form.get("destination_institution")
    purpose = next((p.labels for p in PURPOSES if p.value == form.get("purpose")), None)
    if purpose is None and not where:  # an empty draft: a neutral name until the form says more
        return labels("Staff trip abroad (draft)", "教师出访（草稿）")
    purpose = purpose or labels("Trip", "出访")
    if not where:
        return labels(f"{purpose['en']} abroad (draft)", f"赴境外{purpose['zh']}（草稿）")
    return labels(f"{purpose['en']} at {where}", f"赴{where}{purpose['zh']}")


def facts(form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    start, end = stored_period(form)
    return {"direction": "outbound", "people": 1, "partner_id": None,
            "partner_name": form.get("destination_institution"), "country": form.get("destination_country"),
            "start_date": start, "end_date": end}


KIND = Kind(
    name="faculty_exchange",
    labels=labels("Faculty trip abroad", "教师出访"),
    form=FacultyExchangeForm,
    fields=FIELDS,
    filed_by=frozenset({"teacher", "staff"}),
    needs_program=False,
    documents=(Document("invitation_letter", labels("Invitation letter", "邀请函")),),
    title=title,
    facts=facts,
    max_days=MAX_DAYS,
    default_chain=(
        {"role": "school_coordinator", "scope": "school", "days": 5},
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
        {"role": "vice_president", "scope": "university", "days": 7,
         "condition": {"any": [{"duration_days_over": 30}, {"budget_over": "50000.00"}]}},
    ),
    counts={"outbound_staff": "applications"},
    approval_document=True,
)
