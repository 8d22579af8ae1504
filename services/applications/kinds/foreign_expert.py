"""Foreign expert (外籍专家聘请): a school invites or employs an expert from abroad, for at most two years."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields

from services.applications.kinds import Document, Field, Kind, labels
from services.applications.kinds.fields import (
    BUDGET,
    END_DATE,
    SCHOOL_STAFF,
    START_DATE,
    budget,
    country,
    line,
    stored_period,
    text,
)

if TYPE_CHECKING:
    from services.applications.models import Program

MAX_DAYS = 730


class ForeignExpertForm(Schema):
    expert_name = line(required=True)
    nationality = country(required=True)
    institution = line(required=True)
    field = line(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    activities = text(required=True)
    budget = budget()


FIELDS = (
    Field("expert_name", "line", labels("Expert's name", "专家姓名")),
    Field("nationality", "country", labels("Nationality", "国籍")),
    Field("institution", "line", labels("Institution", "所在单位"),
          help=labels("Where the expert works now.", "专家目前的工作单位。")),
    Field("field", "line", labels("Field", "专业领域")),
    START_DATE,
    END_DATE,
    Field("activities", "text", labels("Activities", "工作内容")),
    BUDGET,
)


def title(form: dict[str, Any], program: Program | None) -> dict[str, str]:
    name = form.get("expert_name")
    if not name:  # an empty draft: a neutral name until the form says more
        return labels("Foreign expert (draft)", "外籍专家（草稿）")
    return labels(f"Foreign expert: {name}", f"外籍专家：{name}")


def facts(form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    start, end = stored_period(form)
    return {"direction": "inbound", "people": 1, "partner_id": None, "partner_name": form.get("institution"),
            "country": form.get("nationality"), "start_date": start, "end_date": end}


def travellers(form: dict[str, Any], applicant_name: str) -> list[dict[str, Any]]:
    """The expert comes, not the school's member of staff who files for them."""
    return [{"name": form.get("expert_name") or "", "staff_number": None, "role": "expert"}]


KIND = Kind(
    name="foreign_expert",
    labels=labels("Foreign expert", "外籍专家聘请"),
    form=ForeignExpertForm,
    fields=FIELDS,
    filed_by=SCHOOL_STAFF,
    needs_program=False,
    documents=(Document("cv", labels("CV", "个人简历")), Document("passport", labels("Passport", "护照"))),
    title=title,
    facts=facts,
    max_days=MAX_DAYS,
    default_chain=(
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
        {"role": "vice_president", "scope": "university", "days": 7},
    ),
    counts={"inbound_experts": "applications"},
    travellers=travellers,
)
