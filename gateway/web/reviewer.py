"""Reviewer pages: the queue with filters and due dates, claim and release, the application under review, decide."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.web import kinds, services
from gateway.web.applicant import around, version_field
from gateway.web.forms import DecisionForm, show_errors
from gateway.web.security import csrf
from gateway.web.sessions import REVIEWER_ROLES, roles_required

bp = Blueprint("web_reviewer", __name__)
bp.before_request(csrf.protect)


def _task(task_id: str) -> dict[str, Any]:
    reply = services.get(f"review-tasks/{task_id}")
    if not reply.ok:
        abort(404)
    return reply.data  # type: ignore[no-any-return]


@bp.get("/queue")
@roles_required(*REVIEWER_ROLES)
def queue() -> str:
    names = kinds.labels()  # the filter offers the kinds the applications service knows
    kind = request.args.get("kind") if request.args.get("kind") in names else None
    reply = services.get("review-tasks", kind=kind, cursor=request.args.get("cursor") or None)
    if reply.status == 422:  # a tampered cursor: start from the first page
        return redirect(url_for("web_reviewer.queue", kind=kind))  # type: ignore[return-value]
    return render_template("queue.html", tasks=reply.data or [], kinds=names, kind=kind, next_cursor=reply.next_cursor)


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


@bp.route("/tasks/<uuid:task_id>", methods=["GET", "POST"])
@roles_required(*REVIEWER_ROLES)
def task(task_id: Any) -> Any:
    task = _task(str(task_id))
    form = DecisionForm()
    status = 200
    if form.validate_on_submit():
        reply = services.request("POST", f"review-tasks/{task_id}/decision", json_body={
            "outcome": form.outcome.data, "comment": form.comment.data or None,
            "internal_note": form.internal_note.data or None,
            "application_version": version_field("application_version"),
        })
        if reply.ok:
            flash(_("Decision recorded."), "success")
            return redirect(url_for("web_reviewer.queue"))
        show_errors(form, reply)
        status = reply.status if reply.status in (403, 409, 422) else 422
    application = services.get(f"applications/{task['application_id']}")
    if not application.ok:
        abort(404)
    return render_template("task.html", task=task, form=form, application=application.data,
                           **around(application.data)), status
