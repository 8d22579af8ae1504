"""Changes after approval on the pages: the applicant of an approved trip with an approval document (任务批件) asks
for a change — the kind's own form prefilled with the approved trip, and why — checks only what differs, and
sends it (POST /api/v1/applications/<id>/change-requests); the application page lists the changes with their
status in words; a reviewer's task about a change shows the reason and the differences (template globals).

Nothing is saved before "Send": "Add another", "Remove", "Check your change" and "Change it" re-render what was
posted (the check page carries it in hidden fields), so the approved trip is never touched by work in progress.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length

from gateway.web import changes, kinds, services
from gateway.web.applicant import _application, _context, version_field
from gateway.web.forms import ApplicationForm, error_links, show_errors
from gateway.web.kinds import Kind
from gateway.web.security import csrf
from gateway.web.sessions import login_required
from gateway.web.widgets import add_blank, form_class, list_change

bp = Blueprint("web_changes", __name__)
bp.before_request(csrf.protect)

STATUS_WORDS = {"pending": _l("waiting for approval"), "approved": _l("approved"), "rejected": _l("not approved"),
                "cancelled": _l("cancelled")}
CARRIED_NOT = ("csrf_token", "action")  # what the check page does not carry back in hidden fields


class ChangeForm(ApplicationForm):
    """The kind's form plus why the trip changes (the reason is not part of the trip's form)."""

    reason = TextAreaField(_l("Why does the trip change?"), validators=[Length(max=2000)],
                           description=_l("Say what changed and why, e.g. the host moved the workshop."),
                           render_kw={"rows": 4})


def change_form(kind: Kind, ctx: Any, formdata: Any = None) -> ChangeForm:
    cls = form_class(kind.fields, ctx, base=ChangeForm)
    cls.kind, cls.ctx = kind, ctx  # type: ignore[attr-defined]
    return cls(formdata=formdata)  # type: ignore[return-value]


def change_requests(application_id: str) -> list[dict[str, Any]]:
    reply = services.get(f"applications/{application_id}/change-requests")
    return list(reply.data.get("items") or []) if reply.ok and isinstance(reply.data, dict) else []


def _has_approval_document(application_id: str) -> bool:
    return services.get(f"applications/{application_id}/approval").ok


def _program(application: dict[str, Any]) -> dict[str, Any] | None:
    if not application.get("program_id"):
        return None
    reply = services.get(f"programs/{application['program_id']}")
    return reply.data if reply.ok else None  # type: ignore[no-any-return]


def _changeable(application_id: str) -> tuple[dict[str, Any], Kind]:
    """The applicant's own approved application whose kind has an approval document; a 404 for anyone else."""
    application = _application(application_id)
    kind = kinds.get(application["kind"])
    if application["applicant"] != g.user.username or kind is None:
        abort(404)
    if application["status"] != "approved" or not _has_approval_document(application_id):
        abort(404)
    return application, kind


def _reason_missing(form: ChangeForm) -> bool:
    if (form.reason.data or "").strip():
        return False
    form.reason.errors = [*list(form.reason.errors or []), _("Say why the trip changes.")]
    return True


@bp.route("/applications/<uuid:application_id>/change", methods=["GET", "POST"])
@login_required
def change(application_id: Any) -> Any:
    """The change form; "Check your change" shows only what differs; "Send" asks the chain to re-approve it."""
    application, kind = _changeable(str(application_id))
    if any(c["status"] == "pending" for c in change_requests(str(application_id))):
        flash(_("A change of this trip is already waiting for approval."), "error")
        return redirect(url_for("web_applicant.detail", application_id=application_id))
    ctx = _context(_program(application))
    if request.method == "GET":
        form = change_form(kind, ctx)
        form.from_api(application["form"])
        return _page(application, kind, form)
    form = change_form(kind, ctx, request.form)
    action = request.form.get("action", "check")
    listed = list_change(form, action)
    if listed is not None:  # "Add another" or "Remove": the form again, nothing sent
        if listed.add:
            add_blank(form, listed.name)
        return _page(application, kind, form)
    if action == "edit":  # "Change it" on the check page
        return _page(application, kind, form)
    if _reason_missing(form):
        return _page(application, kind, form, status=422)
    if action == "send":
        return _send(application, kind, form)
    typed = form.to_api()
    described = {spec["name"] for spec in kind.fields}  # not what the service works out itself (a total, say)
    approved = {k: v for k, v in application["form"].items() if k in described or k in typed}
    differs = changes.compare(kind, {"form": approved}, {"form": typed}, ctx)
    if not differs.fields:
        form.form_errors.append(_("Nothing differs from the approved trip: change its dates, itinerary or members "
                                  "first."))
        return _page(application, kind, form, status=422)
    carried = [(k, v) for k, v in request.form.items(multi=True) if k not in CARRIED_NOT]
    return render_template("change_check.html", application=application, kind=kind, changes=differs,
                           reason=form.reason.data.strip(), carried=carried)


def _page(application: dict[str, Any], kind: Kind, form: ChangeForm, status: int = 200) -> tuple[str, int]:
    return render_template("change.html", application=application, kind=kind, form=form,
                           errors=error_links(form)), status


def _send(application: dict[str, Any], kind: Kind, form: ChangeForm) -> Any:
    application_id = application["id"]
    reply = services.request("POST", f"applications/{application_id}/change-requests", json_body={
        "form": form.to_api(), "reason": form.reason.data.strip(), "version": version_field("version")})
    if reply.ok:
        return redirect(url_for("web_changes.sent", application_id=application_id))
    if reply.status in (403, 404):
        abort(404)
    if reply.status == 409 or not reply.field_errors():
        form.form_errors.append(reply.explain(_("The change could not be sent.")))
    else:
        show_errors(form, reply)
    return _page(application, kind, form, status=409 if reply.status == 409 else 422)


@bp.get("/applications/<uuid:application_id>/change/sent")
@login_required
def sent(application_id: Any) -> Any:
    """The confirmation (a page of its own, so reloading it sends nothing twice)."""
    application = _application(str(application_id))
    if application["applicant"] != g.user.username:
        abort(404)
    pending = [c for c in change_requests(str(application_id)) if c["status"] == "pending"]
    if not pending:
        return redirect(url_for("web_applicant.detail", application_id=application_id))
    return render_template("change_sent.html", application=application, change=pending[-1])


# -- on the application page and the task page ------------------------------------------------------------------

def changes_of(application: dict[str, Any]) -> dict[str, Any] | None:
    """`{% set c = changes_of(application) %}`: the application's change requests with their status in words, and
    the address of the change form when its applicant may ask for one; None when it never was approved."""
    if application.get("status") not in ("approved", "cancelled"):
        return None
    items = [{**c, "status_words": str(STATUS_WORDS.get(c["status"], c["status"]))}
             for c in change_requests(application["id"])]
    may_ask = (application.get("applicant") == g.user.username and application["status"] == "approved"
               and not any(c["status"] == "pending" for c in items) and _has_approval_document(application["id"]))
    if not items and not may_ask:
        return None
    return {"items": items, "url": url_for("web_changes.change", application_id=application["id"]) if may_ask
            else None}


def is_change(task: dict[str, Any], application: dict[str, Any]) -> bool:
    """A task whose version is beyond the application's is about a change waiting for approval."""
    return int(task.get("application_version") or 0) > int(application.get("version") or 0)


def change_of(task: dict[str, Any], application: dict[str, Any]) -> dict[str, Any] | None:
    """`{% set c = change_of(task, application) %}`: the change a task is about — its reason and what differs
    from the approved trip — or None when the task is about the application as it stands."""
    if not is_change(task, application):
        return None
    wanted = next((c for c in change_requests(application["id"])
                   if c.get("version") == task.get("application_version")), None)
    if wanted is None:
        return None
    kind = kinds.get(application["kind"]) or Kind(application["kind"], {})
    differs = changes.compare(kind, {"form": application["form"]}, {"form": wanted["form"]},
                              _context(_program(application)))
    return {**wanted, "changes": differs}


bp.add_app_template_global(changes_of, "changes_of")
bp.add_app_template_global(is_change, "is_change")
bp.add_app_template_global(change_of, "change_of")
