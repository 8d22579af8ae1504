"""The pages' forms (Flask-WTF: CSRF token included). They describe fields and labels; the services judge
the values, and their 422 errors are shown next to these fields."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation

from gateway.web.kinds import Kind
from gateway.web.services import Reply, translated
from gateway.web.widgets import Context, form_class, values_from_api, values_to_api


def required_text(message: Any) -> Any:
    """Some text, else `message` in the reader's language (a plain string: the error summary matches on it)."""
    def check(form: FlaskForm, field: Any) -> None:
        if not (field.data or "").strip():
            raise StopValidation(str(message))
    return check


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class ApplicationForm(FlaskForm):
    """A kind's form, built from its field metadata (see application_form)."""

    kind: Kind
    ctx: Context

    def to_api(self) -> dict[str, object]:
        return values_to_api(self, self.kind.fields)

    def from_api(self, form: dict[str, object]) -> None:
        values_from_api(self, self.kind.fields, form)

    def describe(self, key: str, message: str) -> str:
        return self.kind.explain(key, message)


def application_form(kind: Kind, ctx: Context, formdata: Any = None) -> ApplicationForm:
    """One WTForms field per field of the kind, in its order; CSRF as on every page form."""
    cls = form_class(kind.fields, ctx, base=ApplicationForm)
    cls.kind, cls.ctx = kind, ctx  # type: ignore[attr-defined]
    return cls(formdata=formdata)  # type: ignore[return-value]


class UploadForm(FlaskForm):
    # only the kind's document types (set by the page, see offer()); the service judges the value
    document_type = SelectField(_l("Document type"), validate_choice=False)
    file = FileField(_l("File (PDF, JPEG or PNG)"), validators=[FileRequired()])


class DecisionForm(FlaskForm):
    outcome = SelectField(_l("Decision"), choices=[("approve", _l("Approve")), ("return", _l("Return for changes")),
                                                  ("reject", _l("Reject"))])
    comment = TextAreaField(_l("Comment (required to return or reject)"), validators=[Length(max=2000)],
                            render_kw={"rows": 4})
    internal_note = TextAreaField(_l("Internal note (reviewers only)"), validators=[Length(max=2000)],
                                  render_kw={"rows": 2})

def show_errors(form: FlaskForm, reply: Reply) -> None:
    """Put a service's 422 field errors next to the page's fields (`form.gpa`, `language_certificate.score`,
    `partner_choices.1`); the rest go on top of the form, labelled in words where the form can say."""
    describe = getattr(form, "describe", None)
    for key, messages in reply.field_errors().items():
        field = _field_at(form, key.removeprefix("form."))
        if field is not None:
            if getattr(field, "composite", False):
                field.own_errors.extend(messages)
            else:
                field.errors = [*list(field.errors or []), *messages]
        elif key in ("", "form"):
            form.form_errors.extend(messages)
        else:
            form.form_errors.extend(describe(key, m) if describe else f"{key}: {m}" for m in messages)
    if not reply.field_errors() and reply.message:
        form.form_errors.append(reply.message)


def error_links(form: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every error a page form shows, as (#field-id, "Label: message") in the form's order, for the error
    summary on top (gateway/templates/_error_summary.html): each links to its field, so a click moves there."""
    links = [("#main", translated(m)) for m in getattr(form, "form_errors", [])]  # about no one field
    for field in form:
        if field.name == "csrf_token":
            continue
        label = f"{prefix}{field.label.text}"
        if getattr(field, "composite", False):
            links.extend((f"#{field.id}", f"{label}: {translated(m)}") for m in field.own_errors)
            links.extend(error_links(list(field), f"{label} › "))  # a group's fields, a ranked list's ranks
        else:
            links.extend((f"#{field.id}", f"{label}: {translated(m)}") for m in field.errors or [])
    return links


def _field_at(form: Any, key: str) -> Any:
    """The field a dotted error key names, descending into groups and ranked lists; None if no field."""
    head, _, rest = key.partition(".")
    fields = getattr(form, "_fields", {})
    if head == "csrf_token" or head not in fields:
        return None
    field = fields[head]
    if not rest:
        return field
    if hasattr(field, "form"):  # a group: its own form
        return _field_at(field.form, rest) or field
    if hasattr(field, "entry_at"):  # a list of items: the item the service's index names, then its field
        index, _, sub = rest.partition(".")
        entry = field.entry_at(index)
        return field if entry is None else (_field_at(entry.form, sub) or entry) if sub else entry
    entries = getattr(field, "entries", None)
    index = rest.partition(".")[0]
    if entries is not None and index.isdigit() and int(index) < len(entries):
        return entries[int(index)]
    return field
