"""Applicant pages: open programs, an apply form per kind, documents, submit, my applications, withdraw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from gateway.web import kinds, services
from gateway.web.forms import ApplicationForm, UploadForm, application_form, show_errors
from gateway.web.kinds import Kind
from gateway.web.security import csrf
from gateway.web.sessions import login_required
from gateway.web.widgets import Context, page_language

bp = Blueprint("web_applicant", __name__)
bp.before_request(csrf.protect)


def version_field(name: str) -> int:
    """The version a form says it saw: a hidden field the page wrote, so anything else is a bad request."""
    value = request.form.get(name, type=int)
    if value is None:
        raise BadRequest(f"The form lacks a valid {name}.")
    return value


def _kind(name: str) -> Kind:
    kind = kinds.get(name)
    if kind is None:
        abort(404)
    return kind


def _application(application_id: str) -> dict[str, Any]:
    reply = services.get(f"applications/{application_id}")
    if reply.status in (403, 404):
        abort(404)  # someone else's application looks like one that does not exist
    return reply.data  # type: ignore[no-any-return]


def _context(program: dict[str, Any] | None) -> Context:
    """What a kind's form and values need from around them: the language, and the program's partners."""
    partners = (program or {}).get("partners", [])
    return Context(page_language(), {p["id"]: f"{p['name']} ({p['country']})" for p in partners})


def _form_for(kind: Kind, program: dict[str, Any] | None, formdata: Any = None) -> ApplicationForm:
    return application_form(kind, _context(program), formdata)


@bp.get("/programs")
@login_required
def programs() -> str:
    open_programs = services.get("programs", open="true").data or []
    mine = [k for k in kinds.catalog().values() if k.may_be_filed_by(g.user)]
    return render_template("programs.html", programs=open_programs,
                           program_kinds=[k for k in mine if k.needs_program],
                           kinds=[k for k in mine if not k.needs_program])


@bp.route("/apply/<kind>", methods=["GET", "POST"])
@login_required
def apply(kind: str) -> Any:
    found = _kind(kind)
    program_id = request.values.get("program_id") or None
    program = None
    if found.needs_program:
        reply = services.get(f"programs/{program_id}") if program_id else None
        if reply is None or not reply.ok:
            flash(_("Choose a program first."), "error")
            return redirect(url_for("web_applicant.programs"))
        program = reply.data
    form = _form_for(found, program, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        reply = services.request("POST", "applications", json_body={
            "kind": kind, "program_id": program_id, "form": form.to_api()})
        if reply.ok:
            application = reply.data
            if request.form.get("action") == "submit":
                return _submit(application["id"], application["version"], kind=found)
            flash(_("Draft saved."), "success")
            return redirect(url_for("web_applicant.detail", application_id=application["id"]))
        show_errors(form, reply)
        status = 422
    return render_template("apply.html", form=form, kind=found, program=program, application=None), status


@bp.get("/applications")
@login_required
def my_applications() -> str:
    page = services.get("applications", view="mine", limit=100).data or {"items": []}
    return render_template("my_applications.html", applications=page["items"])


def around(application: dict[str, Any]) -> dict[str, Any]:
    """What an application's page shows besides the application: its history, documents, decisions, and
    the names of its fields and partners (for the applicant's page and the reviewer's alike)."""
    path = f"applications/{application['id']}"
    program = services.get(f"programs/{application['program_id']}") if application.get("program_id") else None
    decisions = services.get(f"{path}/reviews")
    kind = kinds.get(application["kind"]) or Kind(application["kind"], {})  # unknown: values by their names
    context = _context(program.data if program is not None and program.ok else None)
    return {
        "history": services.get(f"{path}/history").data or [],
        "documents": services.get(f"{path}/documents").data or [],
        "decisions": decisions.data if decisions.ok else [],
        "values": kind.values(application["form"], context),
    }


@bp.get("/applications/<uuid:application_id>")
@login_required
def detail(application_id: Any) -> str:
    application = _application(str(application_id))
    mine = application["applicant"] == g.user.username
    upload = UploadForm()
    kind = kinds.get(application["kind"])
    upload.document_type.choices = kind.document_choices() if kind else []
    return render_template(
        "application.html", application=application, mine=mine, upload=upload,
        editable=mine and application["status"] in ("draft", "changes_requested"), **around(application),
    )


@bp.route("/applications/<uuid:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit(application_id: Any) -> Any:
    application = _application(str(application_id))
    kind = _kind(application["kind"])
    program = services.get(f"programs/{application['program_id']}").data if application["program_id"] else None
    form = _form_for(kind, program, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        changes = form.to_api()
        cleared = {name: None for name in application["form"] if name not in changes}
        reply = services.request("PATCH", f"applications/{application_id}", json_body={
            "form": {**cleared, **changes}, "version": version_field("version")})
        if reply.ok:
            if request.form.get("action") == "submit":
                return _submit(str(application_id), reply.data["version"], kind=kind)
            flash(_("Changes saved."), "success")
            return redirect(url_for("web_applicant.detail", application_id=application_id))
        show_errors(form, reply)
        status = 409 if reply.status == 409 else 422
    else:
        form.from_api(application["form"])
    return render_template("apply.html", form=form, kind=kind, program=program,
                           application=application), status


def _submit(application_id: str, version: int, comment: str | None = None, kind: Kind | None = None) -> Response:
    reply = services.request("POST", f"applications/{application_id}/submit",
                             json_body={"version": version, **({"comment": comment} if comment else {})})
    if reply.ok:
        flash(_("Submitted. You will be notified of every step."), "success")
        return redirect(url_for("web_applicant.detail", application_id=application_id))
    if reply.field_errors() and kind is None:
        kind = kinds.get((services.get(f"applications/{application_id}").data or {}).get("kind", ""))
    for key, messages in reply.field_errors().items():
        for message in messages:
            flash(kind.explain(key, message) if kind else f"{key}: {services.translated(message)}", "error")
    if not reply.field_errors():
        flash(reply.explain(_("It could not be submitted.")), "error")
    return redirect(url_for("web_applicant.detail", application_id=application_id))


@bp.post("/applications/<uuid:application_id>/submit")
@login_required
def submit(application_id: Any) -> Response:
    return _submit(str(application_id), version_field("version"), request.form.get("comment") or None)


@bp.post("/applications/<uuid:application_id>/withdraw")
@login_required
def withdraw(application_id: Any) -> Response:
    reply = services.request("POST", f"applications/{application_id}/withdraw",
                             json_body={"version": version_field("version")})
    if reply.status in (403, 404):
        abort(404)
    flash(_("Withdrawn.") if reply.ok else reply.explain(_("It could not be withdrawn.")),
          "success" if reply.ok else "error")
    return redirect(url_for("web_applicant.detail", application_id=application_id))


@bp.post("/applications/<uuid:application_id>/documents")
@login_required
def upload(application_id: Any) -> Response:
    form = UploadForm()
    file = request.files.get("file")
    if not form.validate_on_submit() or file is None:
        flash(_("Choose a file and its type."), "error")
        return redirect(url_for("web_applicant.detail", application_id=application_id))
    reply = services.request(
        "POST", f"applications/{application_id}/documents", fields={"doc_type": form.document_type.data},
        files=("file", file.filename or "upload", file.read(), file.mimetype or "application/octet-stream"))
    if reply.status in (403, 404):
        abort(404)
    if reply.ok:
        flash(_("Uploaded."), "success")
    else:
        messages = [m for ms in reply.field_errors().values() for m in ms] or [reply.message]
        flash(_("The upload was refused: %(reason)s", reason="; ".join(services.translated(m) for m in messages)),
              "error")
    return redirect(url_for("web_applicant.detail", application_id=application_id))


@bp.post("/applications/<uuid:application_id>/documents/<uuid:document_id>/delete")
@login_required
def delete_document(application_id: Any, document_id: Any) -> Response:
    reply = services.request("DELETE", f"applications/{application_id}/documents/{document_id}")
    if reply.status in (403, 404):
        abort(404)
    flash(_("Removed.") if reply.ok else reply.explain(_("It could not be removed.")),
          "success" if reply.ok else "error")
    return redirect(url_for("web_applicant.detail", application_id=application_id))


@bp.get("/applications/<uuid:application_id>/documents/<uuid:document_id>")
@login_required
def download(application_id: Any, document_id: Any) -> Response:
    reply = services.get(f"applications/{application_id}/documents/{document_id}")
    if not reply.ok:
        abort(404)
    response = Response(reply.body, status=200)
    for key in ("Content-Type", "Content-Disposition", "Content-Security-Policy", "X-Content-Type-Options"):
        if key in reply.headers:
            response.headers[key] = reply.headers[key]
    return response
