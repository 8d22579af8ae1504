"""The four kinds of application: each one's form (marshmallow), who may file it, and its documents.

Forms check shape and single fields. Rules that need the calendar or the program (dates in the future,
duration bounds, choices from the program's partners) live in domain.py, so all errors come back at once.
Budgets are CNY as decimal strings ("12000.00"), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")  # Regexp matches from the start
ONE_LINE_TEXT = validate.Regexp(  # \Z, not $: "$" would let a trailing newline through
    r"^(?=.*\S)[^\x00-\x1f\x7f]*\Z", error="Must not be blank or contain line breaks or control characters."
)
COUNTRY = validate.Regexp(r"^[A-Z]{2}\Z", error="Use a two-letter ISO 3166 country code, e.g. DE.")


def _line(max_length: int = 200, **kwargs: object) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), ONE_LINE_TEXT], **kwargs)  # type: ignore[arg-type]


def _text(max_length: int = 5000, **kwargs: object) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), NOT_BLANK], **kwargs)  # type: ignore[arg-type]


def _budget() -> fields.Decimal:
    return fields.Decimal(
        required=True, places=2, as_string=True, validate=validate.Range(min=0, error="Must not be negative.")
    )


class LanguageCertificate(Schema):
    type = fields.String(required=True, validate=validate.OneOf(
        ["IELTS", "TOEFL", "CET-4", "CET-6", "TestDaF", "DELF", "JLPT", "TOPIK", "other"]))
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
    motivation = _text(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _unique_choices(self, data: dict, **_: object) -> None:
        choices = data.get("partner_choices") or []
        if len(set(choices)) != len(choices):
            raise ValidationError("Each partner can be chosen only once.", "partner_choices")


class FacultyExchangeForm(Schema):
    destination_institution = _line(required=True)
    destination_country = fields.String(required=True, validate=COUNTRY)
    purpose = fields.String(required=True, validate=validate.OneOf(
        ["conference", "joint_research", "visiting_scholar", "teaching"]))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    funding_source = _line(required=True)
    budget = _budget()


class ForeignExpertForm(Schema):
    expert_name = _line(required=True)
    nationality = fields.String(required=True, validate=COUNTRY)
    institution = _line(required=True)
    field = _line(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    activities = _text(required=True)
    budget = _budget()


class HostedEventForm(Schema):
    title = _line(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    delegation_size = fields.Integer(required=True, validate=validate.Range(min=1, max=500))
    countries = fields.List(fields.String(validate=COUNTRY), required=True, validate=validate.Length(min=1, max=50))
    agenda = _text(required=True)
    budget = _budget()


@dataclass(frozen=True)
class Kind:
    name: str
    form: type[Schema]
    filed_by: frozenset[str]          # roles allowed to file it
    needs_program: bool
    required_documents: tuple[str, ...]
    max_days: int | None              # longest allowed period, where the kind has dates

    @property
    def document_types(self) -> tuple[str, ...]:
        return (*self.required_documents, "other")


SCHOOL_STAFF = frozenset({"teacher", "staff", "school_coordinator"})
KINDS: dict[str, Kind] = {
    "student_exchange": Kind("student_exchange", StudentExchangeForm, frozenset({"student"}), True,
                             ("transcript", "language_certificate"), None),
    "faculty_exchange": Kind("faculty_exchange", FacultyExchangeForm, frozenset({"teacher", "staff"}), False,
                             ("invitation_letter",), 365),
    "foreign_expert": Kind("foreign_expert", ForeignExpertForm, SCHOOL_STAFF, False, ("cv", "passport"), 730),
    "hosted_event": Kind("hosted_event", HostedEventForm, SCHOOL_STAFF, False, (), 30),
}
