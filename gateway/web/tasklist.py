"""An application as a GOV.UK task list and its "check your answers" rows: the form, each required document and
the declaration, each with a status; and a service's refusal to submit as error-summary links to the fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from gateway.web.kinds import Kind
from gateway.web.services import Reply
from gateway.web.widgets import Context, Shown, Spec, label_of, widget

EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class Task:
    key: str
    label: str
    href: str | None
    status: str  # not_started | in_progress | done | cannot_start
    hint: str = ""


@dataclass(frozen=True)
class Answer:
    """One row of "check your answers": the field's label, its value (None: not answered), its anchor."""

    name: str
    label: str
    value: Shown | None
    required: bool


def form_status(fields: list[Spec], form: dict[str, Any]) -> str:
    """Not started (nothing filled), done (every required field has a value), or in progress. The service
    still judges the values at submission; this only says how far the applicant got."""
    filled = {name for name, value in form.items() if value not in EMPTY}
    if not filled:
        return "not_started"
    required = {spec["name"] for spec in fields if spec.get("required")}
    return "done" if required <= filled else "in_progress"


def tasks_of(kind: Kind, application: dict[str, Any], documents: list[dict[str, Any]]) -> list[Task]:
    """The form, each required document of the kind, then checking and declaring, in the order they are done."""
    app_id = application["id"]
    form = form_status(kind.fields, application["form"])
    tasks = [Task("form", _("Fill in the application form"), url_for("web_applicant.edit", application_id=app_id),
                  form)]
    present = {d["doc_type"] for d in documents}
    for doc in kind.about.get("documents") or []:
        if doc.get("required"):
            href = url_for("web_applicant.detail", application_id=app_id, document_type=doc["type"]) + "#upload"
            tasks.append(Task(f"document-{doc['type']}", kind.document_label(doc["type"]), href,
                              "done" if doc["type"] in present else "not_started", _("Upload a file")))
    ready = all(t.status == "done" for t in tasks)
    tasks.append(Task("declaration", _("Check your answers and declare"),
                      url_for("web_applicant.submit", application_id=app_id),
                      "not_started" if ready else "cannot_start", _("Then submit the application")))
    return tasks


def answers(kind: Kind, form: dict[str, Any], ctx: Context) -> list[Answer]:
    """Every field of the kind in its order, answered or not, so that a gap shows before submitting."""
    return [Answer(spec["name"], label_of(spec, ctx),
                   None if form.get(spec["name"]) in EMPTY else widget(spec).show(spec, form[spec["name"]], ctx),
                   bool(spec.get("required")))
            for spec in kind.fields]


def refusal_links(kind: Kind, application_id: str, reply: Reply) -> list[tuple[str, str]]:
    """A refused submission's errors as (link, text): a field's error to the field on the edit page
    (`form.language_certificate.score` → `#language_certificate-score`), a missing document to the upload."""
    links = []
    for key, messages in reply.field_errors().items():
        name = key.removeprefix("form.")
        if key == "documents":
            href = url_for("web_applicant.detail", application_id=application_id) + "#upload"
        elif name in ("", "form"):
            href = "#main"
        else:
            href = url_for("web_applicant.edit", application_id=application_id) + "#" + name.replace(".", "-")
        links.extend((href, kind.explain(key, message)) for message in messages)
    return links
