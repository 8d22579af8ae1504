"""The pages' forms (Flask-WTF: CSRF token included). They describe fields and labels; the services judge
the values, and their 422 errors are shown next to these fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from gateway.web.services import Reply

TERMS = [("", "—")] + [(f"{y}-{t}", f"{y} {t}") for y in range(2026, 2032) for t in ("spring", "fall")]
CERTIFICATES = ["IELTS", "TOEFL", "CET-4", "CET-6", "TestDaF", "DELF", "JLPT", "TOPIK", "other"]
PURPOSES = [
    ("conference", _l("Conference")), ("joint_research", _l("Joint research")),
    ("visiting_scholar", _l("Visiting scholar")), ("teaching", _l("Teaching")),
]
DOCUMENT_TYPES = [
    ("transcript", _l("Transcript")), ("language_certificate", _l("Language certificate")),
    ("invitation_letter", _l("Invitation letter")), ("cv", _l("CV")), ("passport", _l("Passport")),
    ("other", _l("Other")),
]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class StudentExchangeForm(FlaskForm):
    choice_1 = SelectField(_l("First choice"), validate_choice=False)
    choice_2 = SelectField(_l("Second choice"), validate_choice=False)
    choice_3 = SelectField(_l("Third choice"), validate_choice=False)
    term = SelectField(_l("Term"), choices=TERMS, validate_choice=False)
    gpa = StringField(_l("GPA (0–4)"), render_kw={"inputmode": "decimal"})
    certificate_type = SelectField(_l("Language certificate"), choices=[("", "—")] + [(c, c) for c in CERTIFICATES],
                                   validate_choice=False)
    certificate_score = StringField(_l("Score"), render_kw={"inputmode": "decimal"})
    motivation = TextAreaField(_l("Motivation"), render_kw={"rows": 6})

    # form field → the service's field (for values and for errors)
    api_fields = {"term": "term", "gpa": "gpa", "motivation": "motivation",
                  "certificate_type": "language_certificate.type", "certificate_score": "language_certificate.score",
                  "choice_1": "partner_choices", "choice_2": "partner_choices.1", "choice_3": "partner_choices.2"}

    def to_api(self) -> dict[str, object]:
        form: dict[str, object] = {}
        choices = [c for c in (self.choice_1.data, self.choice_2.data, self.choice_3.data) if c]
        if choices:
            form["partner_choices"] = choices
        for name in ("term", "gpa", "motivation"):
            if getattr(self, name).data:
                form[name] = getattr(self, name).data.strip()
        if self.certificate_type.data or self.certificate_score.data:
            form["language_certificate"] = {"type": self.certificate_type.data,
                                            "score": (self.certificate_score.data or "").strip()}
        return form

    def from_api(self, form: dict[str, object]) -> None:
        choices = list(form.get("partner_choices") or [])  # type: ignore[call-overload]
        for i, field in enumerate((self.choice_1, self.choice_2, self.choice_3)):
            field.data = choices[i] if i < len(choices) else ""
        for name in ("term", "gpa", "motivation"):
            getattr(self, name).data = form.get(name) or ""
        cert = form.get("language_certificate") or {}
        self.certificate_type.data = cert.get("type", "")  # type: ignore[union-attr]
        self.certificate_score.data = cert.get("score", "")  # type: ignore[union-attr]


class _Plain(FlaskForm):
    """A form whose fields map one to one onto the service's form fields."""

    lists: tuple[str, ...] = ()  # comma-separated in the page, a list in the API

    def to_api(self) -> dict[str, object]:
        form: dict[str, object] = {}
        for field in self:
            if field.name == "csrf_token" or field.data in (None, ""):
                continue
            value = field.data
            if field.name in self.lists:
                value = [v.strip().upper() for v in str(value).split(",") if v.strip()]
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            elif isinstance(value, str):
                value = value.strip()
            else:
                value = str(value) if not isinstance(value, int) else value
            form[field.name] = value
        return form

    def from_api(self, form: dict[str, object]) -> None:
        for field in self:
            if field.name in form:
                value = form[field.name]
                field.data = ", ".join(value) if isinstance(value, list) else value  # type: ignore[arg-type]
                field.raw_data = [str(field.data)]


class FacultyExchangeForm(_Plain):
    destination_institution = StringField(_l("Host institution"))
    destination_country = StringField(_l("Country (two-letter code, e.g. DE)"), validators=[Optional()])
    purpose = SelectField(_l("Purpose"), choices=[("", "—"), *PURPOSES], validate_choice=False)
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    funding_source = StringField(_l("Funding source"))
    budget = DecimalField(_l("Budget (CNY)"), places=2, validators=[Optional()])


class ForeignExpertForm(_Plain):
    expert_name = StringField(_l("Expert's name"))
    nationality = StringField(_l("Nationality (two-letter code)"))
    institution = StringField(_l("Institution"))
    field = StringField(_l("Field"))
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    activities = TextAreaField(_l("Activities"), render_kw={"rows": 5})
    budget = DecimalField(_l("Budget (CNY)"), places=2, validators=[Optional()])


class HostedEventForm(_Plain):
    lists = ("countries",)
    title = StringField(_l("Title"))
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    delegation_size = IntegerField(_l("Delegation size"), validators=[Optional()])
    countries = StringField(_l("Countries (two-letter codes, comma-separated)"))
    agenda = TextAreaField(_l("Agenda"), render_kw={"rows": 5})
    budget = DecimalField(_l("Budget (CNY)"), places=2, validators=[Optional()])


KIND_FORMS: dict[str, type[FlaskForm]] = {
    "student_exchange": StudentExchangeForm,
    "faculty_exchange": FacultyExchangeForm,
    "foreign_expert": ForeignExpertForm,
    "hosted_event": HostedEventForm,
}


class UploadForm(FlaskForm):
    document_type = SelectField(_l("Document type"), choices=DOCUMENT_TYPES)
    file = FileField(_l("File (PDF, JPEG or PNG)"), validators=[FileRequired()])


class DecisionForm(FlaskForm):
    outcome = SelectField(_l("Decision"), choices=[("approve", _l("Approve")), ("return", _l("Return for changes")),
                                                  ("reject", _l("Reject"))])
    comment = TextAreaField(_l("Comment (required to return or reject)"), validators=[Length(max=2000)],
                            render_kw={"rows": 4})
    internal_note = TextAreaField(_l("Internal note (reviewers only)"), validators=[Length(max=2000)],
                                  render_kw={"rows": 2})

# How an application's stored form fields are labelled on its page.
FIELD_LABELS = {
    "partner_choices": _l("Partner choices"), "term": _l("Term"), "gpa": _l("GPA (0–4)"),
    "language_certificate": _l("Language certificate"), "motivation": _l("Motivation"),
    "destination_institution": _l("Host institution"), "destination_country": _l("Country (two-letter code, e.g. DE)"),
    "purpose": _l("Purpose"), "start_date": _l("Start date"), "end_date": _l("End date"),
    "funding_source": _l("Funding source"), "budget": _l("Budget (CNY)"), "expert_name": _l("Expert's name"),
    "nationality": _l("Nationality (two-letter code)"), "institution": _l("Institution"), "field": _l("Field"),
    "activities": _l("Activities"), "title": _l("Title"), "delegation_size": _l("Delegation size"),
    "countries": _l("Countries (two-letter codes, comma-separated)"), "agenda": _l("Agenda"),
}


def show_errors(form: FlaskForm, reply: Reply) -> None:
    """Put a service's 422 field errors next to the page's fields; the rest go on top of the form."""
    by_api = {api: name for name, api in getattr(form, "api_fields", {}).items()}
    for key, messages in reply.field_errors().items():
        key = key.removeprefix("form.")
        name = by_api.get(key) or by_api.get(key.split(".")[0]) or key.split(".")[0]
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors") and name != "csrf_token":
            field.errors = [*list(field.errors or []), *messages]
        else:
            form.form_errors.extend(messages if key in ("", "form") else [f"{key}: {m}" for m in messages])
    if not reply.field_errors() and reply.message:
        form.form_errors.append(reply.message)
