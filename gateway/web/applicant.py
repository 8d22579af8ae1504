"""Applicant pages: open programs, an apply form per kind, the application as a task list (form, documents,
declaration), check your answers before submitting, the review tracker, my applications, and "Are you sure?"
pages before withdrawing or removing a document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from gateway.web import holds, kinds, services, tasklist, tracker
from gateway.web.forms import ApplicationForm, UploadForm, application_form, error_links, show_errors
from gateway.web.kinds import Kind
from gateway.web.security import csrf
from gateway.web.services import Reply
from gateway.web.sessions import login_required
from gateway.web.widgets import Context, ListChange, add_blank, list_change, page_language

bp = Blueprint("web_applicant", __name__)
bp.before_request(csrf.protect)
bp.add_app_template_global(tracker.actor_name, "actor_name")
bp.add_app_template_global(error_links, "error_links")
EDITABLE = ("draft", "changes_requested")


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
    """The form as the first step; "Start application" makes an empty draft instead (documents first, say).
    Either way the next page is the task list: nothing is submitted from here, so no junk draft is left."""
    found = _kind(kind)
    if not found.may_be_filed_by(g.user):
        abort(403)  # said before the form is filled in, not on saving it
    program_id = request.values.get("program_id") or None
    program = None
    if found.needs_program:
        reply = services.get(f"programs/{program_id}") if program_id else None
        if reply is None or not reply.ok:
            flash(_("Choose a program first."), "error")
            return redirect(url_for("web_applicant.programs"))
        program = reply.data
    starting = request.method == "POST" and request.form.get("action") == "start"
    form = _form_for(found, program, request.form if request.method == "POST" and not starting else None)
    status = 200
    if request.method == "POST":
        change = list_change(form, request.form.get("action", ""))
        reply = services.request("POST", "applications", json_body={
            "kind": kind, "program_id": program_id, "form": {} if starting else form.to_api()})
        if reply.ok and change:  # "Add another" or "Remove" on a new form: saved as a draft, edited from there
            return _listed(reply.data, change)
        if reply.ok:
            flash(_("Application started.") if starting else _("Draft saved."), "success")
            next_page = "web_applicant.submit" if request.form.get("action") == "submit" else "web_applicant.detail"
            return redirect(url_for(next_page, application_id=reply.data["id"]))
        show_errors(form, reply)
        status = 422
        if change and change.add:  # refused: the errors, and the empty item asked for all the same
            add_blank(form, change.name)
    return render_template("apply.html", form=form, kind=found, program=program, application=None,
                           errors=error_links(form)), status


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
    """The application: a task list while it is the applicant's to edit, the review's tracker once submitted."""
    application = _application(str(application_id))
    mine = application["applicant"] == g.user.username
    kind = kinds.get(application["kind"])
    upload = UploadForm(document_type=request.args.get("document_type"))
    upload.document_type.choices = kind.document_choices() if kind else []
    editable = mine and application["status"] in EDITABLE
    shown = around(application)
    tasks = tasklist.tasks_of(kind, application, shown["documents"]) if editable and kind else []
    return render_template("application.html", application=application, mine=mine, upload=upload,
                           editable=editable, tasks=tasks, progress=tracker.progress(application), **shown)


@bp.route("/applications/<uuid:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit(application_id: Any) -> Any:
    application = _application(str(application_id))
    kind = _kind(application["kind"])
    program = services.get(f"programs/{application['program_id']}").data if application["program_id"] else None
    form = _form_for(kind, program, request.form if request.method == "POST" else None)
    status, errors = 200, []
    if request.method == "POST":
        change = list_change(form, request.form.get("action", ""))
        changes = form.to_api()
        cleared = {name: None for name in application["form"] if name not in changes}
        reply = services.request("PATCH", f"applications/{application_id}", json_body={
            "form": {**cleared, **changes}, "version": version_field("version")})
        if reply.ok and request.form.get("action") == "submit":
            application = reply.data
            submitted = _submit(application)
            if isinstance(submitted, Response):
                return submitted
            show_errors(form, submitted)
            errors, status = _refused(kind, str(application_id), submitted)
        elif reply.ok and change:
            return _listed(reply.data, change)
        elif reply.ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("web_applicant.detail", application_id=application_id))
        else:
            show_errors(form, reply)
            errors, status = error_links(form), 409 if reply.status == 409 else 422
            if change and change.add:  # refused: the errors, and the empty item asked for all the same
                add_blank(form, change.name)
    else:
        form.from_api(application["form"])
        add_blank(form, request.args.get("add", ""))
    return render_template("apply.html", form=form, kind=kind, program=program, application=application,
                           errors=errors, progress=tracker.progress(application)), status


def _listed(application: dict[str, Any], change: ListChange) -> Response:
    """After "Add another" or "Remove" saved the draft: the form again, opened at the new empty item or the list
    (a redirect, so reloading the page does not press the button twice)."""
    flash(_("Draft saved."), "success")
    target = url_for("web_applicant.edit", application_id=application["id"], add=change.name if change.add else None)
    return redirect(f"{target}#{change.anchor(application['form'])}")


def _submit(application: dict[str, Any]) -> Response | Reply:
    """Submit the version the applicant saw: the redirect to its page, or the service's refusal."""
    application_id = application["id"]
    reply = services.request("POST", f"applications/{application_id}/submit",
                             json_body={"version": application["version"]})
    if reply.ok:
        flash(_("Submitted. You will be notified of every step."), "success")
        return redirect(url_for("web_applicant.detail", application_id=application_id))
    return reply


def _refused(kind: Kind, application_id: str, reply: Reply) -> tuple[list[tuple[str, str]], int]:
    """A refused submission's errors for the page: each hold in words (409), or the form's and documents' (422)."""
    held = holds.refusal(reply)
    if held is not None:
        return [("#main", sentence) for sentence in held], 409
    return tasklist.refusal_links(kind, application_id, reply), 422


@bp.route("/applications/<uuid:application_id>/submit", methods=["GET", "POST"])
@login_required
def submit(application_id: Any) -> Any:
    """Check your answers: every answer with a Change link, the documents, the declaration, then submit. A
    refusal (a gap, a missing document, no declaration, a hold) comes back here as an error summary; nothing is
    made."""
    application = _application(str(application_id))
    if application["applicant"] != g.user.username:
        abort(404)
    kind = kinds.get(application["kind"]) or Kind(application["kind"], {})
    errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        application = {**application, "version": version_field("version")}
        status = 422
        if "declaration_asked" in request.form and not request.form.get("declaration"):
            errors = [("#declaration", _("Confirm that the information you gave is true and complete."))]
        else:
            submitted = _submit(application)
            if isinstance(submitted, Response):
                return submitted
            errors, status = _refused(kind, str(application_id), submitted)
            errors = errors or [("#main", submitted.explain(_("It could not be submitted.")))]
    elif application["status"] not in EDITABLE:
        return redirect(url_for("web_applicant.detail", application_id=application_id))
    program = services.get(f"programs/{application['program_id']}") if application.get("program_id") else None
    ctx = _context(program.data if program is not None and program.ok else None)
    documents = services.get(f"applications/{application_id}/documents").data or []
    return render_template("check_answers.html", application=application, kind=kind, errors=errors,
                           answers=tasklist.answers(kind, application["form"], ctx), documents=documents,
                           declared=bool(request.form.get("declaration"))), status


def _confirm(title: str, consequence: str, action: str, button: str, back: str, version: int | None) -> str:
    """An "Are you sure?" page: the consequence in words and one button that does it (no script needed)."""
    return render_template("confirm.html", title=title, consequence=consequence, action=action, button=button,
                           back=back, version=version)


@bp.route("/applications/<uuid:application_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(application_id: Any) -> Any:
    if request.method == "GET":
        application = _application(str(application_id))
        if application["applicant"] != g.user.username:
            abort(404)
        return _confirm(_("Withdraw this application?"),
                        _("Reviewers stop working on it and it cannot be submitted again. This cannot be undone."),
                        url_for("web_applicant.withdraw", application_id=application_id), _("Yes, withdraw it"),
                        url_for("web_applicant.detail", application_id=application_id), application["version"])
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


@bp.route("/applications/<uuid:application_id>/documents/<uuid:document_id>/delete", methods=["GET", "POST"])
@login_required
def delete_document(application_id: Any, document_id: Any) -> Any:
    back = url_for("web_applicant.detail", application_id=application_id)
    if request.method == "GET":
        if _application(str(application_id))["applicant"] != g.user.username:
            abort(404)  # only the applicant removes documents; others see no such page
        documents = services.get(f"applications/{application_id}/documents")
        found = next((d for d in documents.data or [] if d["id"] == str(document_id)), None) if documents.ok else None
        if found is None:
            abort(404)
        return _confirm(_("Remove %(file)s?", file=found["filename"]),
                        _("The file is deleted from the application. You can upload another one afterwards."),
                        url_for("web_applicant.delete_document", application_id=application_id,
                                document_id=document_id), _("Yes, remove it"), back, None)
    reply = services.request("DELETE", f"applications/{application_id}/documents/{document_id}")
    if reply.status in (403, 404):
        abort(404)
    flash(_("Removed.") if reply.ok else reply.explain(_("It could not be removed.")),
          "success" if reply.ok else "error")
    return redirect(back)


@bp.get("/applications/<uuid:application_id>/documents/<uuid:document_id>")
@login_required
def download(application_id: Any, document_id: Any) -> Response:
    reply = services.get(f"applications/{application_id}/documents/{document_id}")
    return services.file_response(reply, ("Content-Type", "Content-Disposition", "Content-Security-Policy",
                                          "X-Content-Type-Options"))
