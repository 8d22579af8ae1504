"""Student exchange (学生交流项目): a student applies under a program for a term at one of its partners,
ranking up to three partner choices."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.applications.facts import term_period
from services.applications.kinds import Choice, Document, Field, Kind, labels
from services.applications.kinds.fields import text

if TYPE_CHECKING:
    from services.applications.models import Program

CERTIFICATES = ("IELTS", "TOEFL", "CET-4", "CET-6", "TestDaF", "DELF", "JLPT", "TOPIK", "other")
SEASONS = {"spring": "春季", "fall": "秋季"}


class LanguageCertificate(Schema):
    type = fields.String(required=True, validate=validate.OneOf(CERTIFICATES))
    score = fields.Decimal(required=True, places=1, as_string=True, validate=validate.Range(min=0))


class StudentExchangeForm(Schema):
    partner_choices = fields.List(
        fields.String(validate=validate.Length(equal=36)), required=True,
        validate=validate.Length(min=1, max=3, error="Choose between 1 and 3 partners."),
        metadata={"description": "partner ids, first choice first, from the program's partners"},
    )
    term = fields.String(required=True, validate=validate.Regexp(
        r"^\d{4}-(spring|fall)\Z", error="Use YEAR-spring or YEAR-fall, e.g. 2031-fall."))
    gpa = fields.Decimal(required=True, places=2, as_string=True, validate=validate.Range(min=0, max=4))
    language_certificate = fields.Nested(LanguageCertificate, required=True)
    motivation = text(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _unique_choices(self, data: dict[str, Any], **_: object) -> None:
        choices = data.get("partner_choices") or []
        if len(set(choices)) != len(choices):
            raise ValidationError("Each partner can be chosen only once.", "partner_choices")


FIELDS = (
    Field("partner_choices", "partner_choices", labels("Partner choices", "志愿院校（按顺序）"),
          help=labels("Up to three partners of the program, first choice first.",
                      "从项目的合作院校中选择，最多三所，第一志愿在前。")),
    Field("term", "term", labels("Term", "学期"),
          help=labels("The term you would spend at the partner.", "在合作院校学习的学期。")),
    Field("gpa", "decimal", labels("GPA (0–4)", "GPA（0–4）")),
    Field("language_certificate", "group", labels("Language certificate", "语言成绩证明"), fields=(
        Field("type", "choice", labels("Type", "类型"), choices=tuple(
            Choice(c, labels("Other", "其他") if c == "other" else labels(c, c)) for c in CERTIFICATES)),
        Field("score", "decimal", labels("Score", "成绩")),
    )),
    Field("motivation", "text", labels("Motivation", "申请理由"),
          help=labels("Why this exchange, and what you will study.", "申请交流的理由和学习计划。")),
)


def rules(form: dict[str, Any], program: Program | None, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    term = form.get("term")
    if isinstance(term, str) and term[5:] in SEASONS and term_period(term)[0] <= today:
        errors["term"] = "Choose a term that has not started yet."
    choices = form.get("partner_choices")
    if choices is not None and program is not None:
        offered = {p.id for p in program.partners}
        if any(c not in offered for c in choices):
            errors["partner_choices"] = f"Choose only partners of the program '{program.name}'."
    return errors


def title(form: dict[str, Any], program: Program | None) -> dict[str, str]:
    if program is None:
        return labels("Student exchange", "学生交流项目")
    term = form.get("term") or ""
    if term[5:] not in SEASONS:
        return labels(program.name, program.name)
    # The term in words in both titles ("Fall 2031", "2031年秋季学期"): a title is read by people, never parsed.
    return labels(f"{program.name} ({term[5:].capitalize()} {term[:4]})",
                  f"{program.name}（{term[:4]}年{SEASONS[term[5:]]}学期）")


def facts(form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    """The first-choice partner (its region as the office set it), and the term as its semester's dates."""
    choices = form.get("partner_choices") or []
    partner = next((p for p in (program.partners if program else []) if choices and p.id == choices[0]), None)
    term = form.get("term")
    start, end = term_period(term) if isinstance(term, str) and term[5:] in SEASONS else (None, None)
    return {"direction": "outbound", "people": 1, "partner_id": partner.id if partner else None,
            "partner_name": partner.name if partner else None, "country": partner.country if partner else None,
            "region": partner.region if partner else None, "start_date": start, "end_date": end}


def selection(form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    """What placements ranks and allocates on: the choices in order with the partners' names and countries as the
    program has them (a partner since removed from the program keeps its id, with no name), the GPA, the
    language certificate and the term."""
    partners = {p.id: p for p in (program.partners if program else [])}
    choices = []
    for partner_id in form.get("partner_choices") or []:
        partner = partners.get(partner_id)
        choices.append({"partner_id": partner_id, "name": partner.name if partner else None,
                        "country": partner.country if partner else None})
    certificate = form.get("language_certificate") or {}
    language = ({"type": certificate["type"], "score": str(certificate["score"])}
                if certificate.get("type") and certificate.get("score") is not None else None)
    gpa = form.get("gpa")
    return {"choices": choices, "gpa": str(gpa) if gpa is not None else None, "language": language,
            "term": form.get("term")}


KIND = Kind(
    name="student_exchange",
    labels=labels("Student exchange", "学生交流项目"),
    form=StudentExchangeForm,
    fields=FIELDS,
    filed_by=frozenset({"student"}),
    needs_program=True,
    documents=(Document("transcript", labels("Transcript", "成绩单")),
               Document("language_certificate", labels("Language certificate", "语言成绩证明"))),
    title=title,
    facts=facts,
    rules=rules,
    default_chain=(
        {"role": "school_coordinator", "scope": "school", "days": 5},
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
    ),
    counts={"outbound_students": "applications"},
    selection=selection,
)
