"""Reviewer pages: the queue with search, filters and due dates, claim and release, the application under
review with what changed since the last round, and the decision (offered only to whoever may decide, a reject
confirmed first, a late one refused in words with the typed comment kept)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from gateway.models import School, User
from gateway.web import changes, kinds, publicity, services
from gateway.web.applicant import _context, around, version_field
from gateway.web.forms import DecisionForm, show_errors
from gateway.web.security import csrf
from gateway.web.sessions import REVIEWER_ROLES, roles_required

bp = Blueprint("web_reviewer", __name__)
bp.before_request(csrf.protect)

FILTERS = ("kind", "program_id", "overdue", "q")


def _task(task_id: str) -> dict[str, Any]:
    reply = services.get(f"review-tasks/{task_id}")
    if not reply.ok:
        abort(404)
    return reply.data  # type: ignore[no-any-return]


def names_of(usernames: set[str]) -> dict[str, str]:
    """People by their full names (the gateway keeps the accounts); a name not found stays the username."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    with current_app.extensions["gateway"].sessions() as db:
        found = {u.username: u.display_name for u in db.query(User).filter(User.username.in_(wanted))}
    return {u: found.get(u) or u for u in wanted}


def school_names() -> dict[str, str]:
    chinese = str(get_locale()) == "zh"
    with current_app.extensions["gateway"].sessions() as db:
        return {s.code: (s.name_zh if chinese else s.name_en) or s.code for s in db.query(School)}


def _when(value: str | None) -> str:
    return str(current_app.jinja_env.filters["when"](value))


def _filters() -> dict[str, str]:
    """The queue's filters from the query string, only in the shapes the service takes."""
    args = {name: (request.args.get(name) or "").strip() for name in FILTERS}
    if args["kind"] not in kinds.labels():
        args["kind"] = ""
    if args["overdue"] not in ("true", "false"):
        args["overdue"] = ""
    args["q"] = args["q"][:80]
    args["program_id"] = args["program_id"][:36]
    return {name: value for name, value in args.items() if value}


@bp.get("/queue")
@roles_required(*REVIEWER_ROLES)
def queue() -> str:
    filters = _filters()
    reply = services.get("review-tasks", **filters, cursor=request.args.get("cursor") or None)
    if reply.status == 422:  # a tampered cursor or filter: start from the first page
        return redirect(url_for("web_reviewer.queue", kind=filters.get("kind")))  # type: ignore[return-value]
    tasks = reply.data or []
    programs = services.get("programs")
    return render_template("queue.html", tasks=tasks, kinds=kinds.labels(), kind=filters.get("kind"),
                           filters=filters, next_cursor=reply.next_cursor, schools=school_names(),
                           programs=programs.data if programs.ok and isinstance(programs.data, list) else [],
                           names=names_of({t.get("claimed_by") for t in tasks}))


@bp.post("/tasks/<uuid:task_id>/<any(claim, release):action>")
@roles_required(*REVIEWER_ROLES)
def claim_or_release(task_id: Any, action: str) -> Response:
    reply = services.request("POST", f"review-tasks/{task_id}/{action}")
    if reply.status == 404:
        abort(404)
    if reply.ok:
        flash(_("Claimed.") if action == "claim" else _("Released."), "success")
    else:
        flash(reply.explain(_("That did not work; reload the page and try again.")), "error")
    target = url_for("web_reviewer.task", task_id=task_id) if action == "claim" and reply.ok else url_for(
        "web_reviewer.queue")
    return redirect(target)


def _late(reply: services.Reply) -> str | None:
    """A 409 for a task someone else decided first, in the page's words and time zone."""
    data = reply.data if isinstance(reply.data, dict) else {}
    if reply.status != 409 or not data.get("decided_by"):
        return None
    name = names_of({data["decided_by"]}).get(data["decided_by"], data["decided_by"])
    return _("Already decided by %(name)s at %(time)s; your decision was not recorded.", name=name,
             time=_when(data.get("decided_at")))


def _record(task_id: str, form: DecisionForm) -> tuple[Response | None, int]:
    """Send the decision; on a refusal put the reason on the form (which keeps what was typed)."""
    reply = services.request("POST", f"review-tasks/{task_id}/decision", json_body={
        "outcome": form.outcome.data, "comment": form.comment.data or None,
        "internal_note": form.internal_note.data or None,
        "application_version": version_field("application_version"),
    })
    if reply.ok:
        flash(_("Decision recorded."), "success")
        return redirect(url_for("web_reviewer.queue")), 302
    late = _late(reply)
    if late:
        form.form_errors.append(late)
    else:
        show_errors(form, reply)
    return None, reply.status if reply.status in (403, 409, 422) else 422


@bp.route("/tasks/<uuid:task_id>", methods=["GET", "POST"])
@roles_required(*REVIEWER_ROLES)
def task(task_id: Any) -> Any:
    task = _task(str(task_id))
    form = publicity.decision_form(task)  # a publicity task offers its level type's outcomes
    status, posted = 200, form.is_submitted()
    if form.validate_on_submit():
        confirmed = request.form.get("confirmed")
        rejecting = form.outcome.data in ("reject", "uphold_reject")  # an upheld objection may reject too
        if rejecting and (form.comment.data or "").strip() and confirmed != "yes":
            if confirmed != "no":  # "Are you sure?" first; "go back" returns here with what was typed
                return render_template("reject_confirm.html", task=task, form=form,
                                       application_version=version_field("application_version"))
        else:
            done, status = _record(str(task_id), form)
            if done is not None:
                return done
            task = _task(str(task_id))  # as it is now: decided by someone else, say
    application = services.get(f"applications/{task['application_id']}")
    if not application.ok:
        abort(404)
    shown = around(application.data)
    since = None
    if task.get("round", 1) >= 2:
        program_id = application.data.get("program_id")
        program = services.get(f"programs/{program_id}") if program_id else None
        since = changes.since_last_round(application.data, _context(program.data if program and program.ok else None))
    return render_template(
        "task.html", task=task, form=form, application=application.data, keep_form=posted,
        version=request.form.get("application_version") if posted else task["application_version"],
        changes=since, names=names_of({task.get("claimed_by"), g.user.username}),
        objections=publicity.objections_of(task), **shown,
    ), status
