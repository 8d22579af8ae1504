"""Request and response schemas. Unknown fields are rejected, so server-owned fields (status, version as a
field to set, applicant, timestamps) in a body are a 422 and nothing is stored."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from services.applications import domain, facts, kinds
from services.applications.indicators import GROUPS
from services.applications.models import REGIONS

UUID = validate.Regexp(r"^[0-9a-fA-F-]{36}$", error="Not a valid id.")
AN_ID = {"format": "uuid"}  # documented as what it is; the pattern above is what the server checks


class KnownKind(validate.Validator):
    """A kind of the registry, read when a request is checked (a kind may be registered at run time);
    `programs`: only kinds filed under a program."""

    def __init__(self, programs: bool = False) -> None:
        self.programs = programs

    def names(self) -> list[str]:
        return [k.name for k in kinds.all_kinds() if k.needs_program or not self.programs]

    def json_schema(self) -> dict[str, Any]:
        """The names, for the API document (chassis.app adds this to the field): the kinds known when it is built."""
        return {"enum": self.names()}

    def __call__(self, value: str) -> str:
        allowed = self.names()
        if value not in allowed:
            raise ValidationError(f"Must be one of: {', '.join(allowed)}.")
        return value


class ApplicationCreate(Schema):
    kind = fields.String(required=True, validate=KnownKind(), metadata={"description": "a name from /api/v1/kinds"})
    program_id = fields.String(load_default=None, allow_none=True, validate=UUID, metadata=AN_ID)
    form = fields.Dict(required=True, metadata={"description": "the kind's form; see docs/examples/<kind>.json"})


class ApplicationPatch(Schema):
    program_id = fields.String(allow_none=True, validate=UUID, metadata=AN_ID)
    form = fields.Dict(metadata={"description": "fields to change; null removes a field"})
    version = fields.Integer(metadata={"description": "the version you saw (or send If-Match)"})


class Change(Schema):
    version = fields.Integer(metadata={"description": "the version you saw (or send If-Match)"})
    comment = fields.String(validate=validate.Length(max=2000), load_default=None)


class ListQuery(Schema):
    view = fields.String(load_default="mine", validate=validate.OneOf(["mine", "review"]),
                         metadata={"description": "mine: my applications; review: those in my review scope"})
    kind = fields.String(validate=KnownKind())
    status = fields.String()
    school = fields.String()
    program_id = fields.String(validate=UUID, metadata=AN_ID)
    submitted_from = fields.AwareDateTime()
    submitted_to = fields.AwareDateTime()
    modified_since = fields.AwareDateTime(metadata={"description": "only those changed after this instant"})
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "words in the applicant's name or username, the title (either language) or the partner's "
                       "name (the first choice), any case"})
    academic_year = fields.Integer(validate=validate.Range(min=1900, max=3000), metadata={
        "description": "the academic year the mobility starts in (2031: 1 Sep 2031 to 31 Aug 2032), as the "
                       "statistics count it"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(metadata={"description": "next_cursor of the previous page"})


class ApplicationOut(Schema):
    id = fields.String()
    kind = fields.String()
    program_id = fields.String(allow_none=True)
    applicant = fields.String()
    applicant_name = fields.String()
    school = fields.String()
    title = fields.String(metadata={"description": "the English title (titles.en), kept for existing clients"})
    titles = fields.Method("_titles", metadata={"description": "the title in each language"})
    status = fields.String()
    version = fields.Integer(metadata={"description": "the content's version: only the applicant's edits move it"})
    form = fields.Dict()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    partner_name = fields.Method("_partner", metadata={"description": "the (first-choice) partner, if any"})
    academic_year = fields.Method("_year", metadata={"description": "the academic year the mobility starts in"})

    def _partner(self, application: Any) -> str | None:
        return facts.mobility_facts(application.kind, application.form or {}, application.program)["partner_name"]

    def _year(self, application: Any) -> int | None:
        return facts.mobility_facts(application.kind, application.form or {}, application.program)["academic_year"]

    def _titles(self, application: Any) -> dict[str, str]:
        return domain.titles_of(application.kind, application.form or {}, application.program)


class ApplicationPage(Schema):
    items = fields.List(fields.Nested(ApplicationOut))
    next_cursor = fields.String(allow_none=True)


class HistoryOut(Schema):
    at = fields.DateTime()
    actor = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    version = fields.Integer()
    comment = fields.String(allow_none=True)


class PartnerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="Two-letter ISO code."))
    region = fields.String(required=True, validate=validate.OneOf(REGIONS))


class PartnerOut(PartnerIn):
    id = fields.String(dump_only=True)


class ProgramIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,59}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="student_exchange", validate=KnownKind(programs=True))
    seats = fields.Integer(required=True, validate=validate.Range(min=0, max=10000))
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)
    partner_ids = fields.List(fields.String(validate=UUID), required=True, validate=validate.Length(min=1))


class ProgramPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    seats = fields.Integer(validate=validate.Range(min=0, max=10000))
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    partner_ids = fields.List(fields.String(validate=UUID), validate=validate.Length(min=1))


class ProgramOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    seats = fields.Integer()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    is_open = fields.Boolean()
    partners = fields.List(fields.Nested(PartnerOut))


class ProgramQuery(Schema):
    open = fields.Boolean(metadata={"description": "only programs whose window is open now"})


class DocumentOut(Schema):
    id = fields.String()
    doc_type = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    created_at = fields.DateTime()


class DocumentUpload(Schema):
    doc_type = fields.String(required=True)


class StatsQuery(Schema):
    """The filters every /api/v1/stats table takes."""

    academic_year = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={
        "description": "2031 is the academic year 1 Sep 2031 – 31 Aug 2032"})
    school = fields.String(validate=validate.Length(min=1, max=40))
    kind = fields.String(validate=KnownKind())
    region = fields.String(validate=validate.OneOf(REGIONS))
    as_of = fields.Date(metadata={"description": "the reporting date that decides what is completed; today if absent"})


class StatsTableQuery(StatsQuery):
    group_by = fields.String(required=True, validate=validate.OneOf(sorted(GROUPS)))


class StatsFilters(Schema):
    academic_year = fields.Integer(allow_none=True)
    school = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    schools = fields.List(fields.String(), allow_none=True,
                          metadata={"description": "the schools the caller may see; null: all of them"})


class StatsSummaryOut(Schema):
    as_of = fields.Date()
    filters = fields.Nested(StatsFilters)
    academic_years = fields.List(fields.Integer(), metadata={"description": "the years with data, newest first"})
    indicators = fields.Dict(keys=fields.String(), values=fields.Raw(),
                             metadata={"description": "one value per key of /api/v1/stats/definitions"})


class StatsGroupRow(Schema):
    key = fields.Raw(allow_none=True)
    approved = fields.Integer()
    completed = fields.Integer()
    people = fields.Integer(metadata={"description": "people_outbound plus people_inbound"})
    people_outbound = fields.Integer()
    people_inbound = fields.Integer()


class StatsTableOut(Schema):
    as_of = fields.Date()
    filters = fields.Nested(StatsFilters)
    group_by = fields.String()
    rows = fields.List(fields.Nested(StatsGroupRow))


class StatsLevelRow(Schema):
    level = fields.Integer()
    decisions = fields.Integer()
    approve = fields.Integer()
    return_ = fields.Integer(data_key="return", attribute="return")
    reject = fields.Integer()
    return_rate = fields.Float(allow_none=True)
    median_hours = fields.Float(allow_none=True)
    mean_hours = fields.Float(allow_none=True)


class StatsReviewsOut(Schema):
    filters = fields.Nested(StatsFilters)
    rows = fields.List(fields.Nested(StatsLevelRow))


class DefinitionOut(Schema):
    key = fields.String()
    title = fields.String()
    definition = fields.String()


class DefinitionsOut(Schema):
    indicators = fields.List(fields.Nested(DefinitionOut))
    tables = fields.List(fields.Nested(DefinitionOut))
