"""The 差额公示 pages of a selection round (the placements service's /selection-rounds/{id}/publicity):

- /selection/lists: the candidate lists anyone signed in can find (running, paused, or ended in the last 30 days,
  as the service's /selection-rounds/publicity says), so that a student or a member of staff who cannot read the
  rounds still reaches a list to object to;
- /selection/rounds/<id>/publicity: the published candidate list (position, name, school, score, the allocated
  partner or the waiting list), its period in words (from which day to the end of which day, the working days
  left, paused or ended), and a form to object (anyone signed in, while it runs). The ICD also reads every
  objection with its text and objector, and publishes the list from here after an allocation run;
- /selection/rounds/<id>/publicity/objected: the confirmation after an objection (reloading sends nothing twice);
- /selection/rounds/<id>/publicity/objections/<oid>: the ICD's decision on one objection, with its text: dismiss
  (the period resumes) or uphold with a comment (the candidate leaves the round and the allocation re-runs).

The service decides who may do what; these pages send what was typed and show what it answered. A refusal is
shown in an error summary linking to the field, with nothing changed; a success redirects (post, redirect, get).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import Length

from gateway.web import publicity, services
from gateway.web.forms import error_links, required_text, show_errors
from gateway.web.mobility_review import school_names
from gateway.web.security import csrf
from gateway.web.sessions import has_any_role, login_required

bp = Blueprint("web_selection_publicity", __name__)
bp.before_request(csrf.protect)

OFFICE = ("icd_officer", "admin")  # as services/placements/access.py
WAITING = "waiting"  # the service's word for a candidate without a place (services/placements/list_publicity.py)
STATUSES = {"blocked": _l("Not published yet: the calendar does not know the year"), "open": _l("Running"),
            "paused": _l("Paused for an objection"), "ended": _l("Ended: the selection is final")}
OUTCOMES = [("dismiss", _l("Dismiss the objection (the period resumes)")),
            ("uphold", _l("Uphold it: the candidate leaves the round and the allocation runs again"))]



class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection"), validators=[required_text(_l("Say what the objection is.")),
                                                            Length(max=4000)], render_kw={"rows": 5})
    application_id = SelectField(_l("About which candidate (optional)"), choices=[], validate_choice=False)


class DecisionForm(FlaskForm):
    outcome = RadioField(_l("Decision"), choices=OUTCOMES, validators=[required_text(_l("Choose a decision."))])
    comment = TextAreaField(_l("Comment (required to uphold the objection)"), validators=[Length(max=4000)],
                            render_kw={"rows": 4})
    application_id = SelectField(_l("The candidate who leaves the round"), choices=[], validate_choice=False)


def is_office() -> bool:
    return has_any_role(g.user, *OFFICE)


def _round(round_id: Any) -> dict[str, Any]:
    reply = services.get(f"selection-rounds/{round_id}")
    return reply.data if reply.ok and isinstance(reply.data, dict) else {"id": str(round_id)}


def _notice(round_id: Any) -> dict[str, Any] | None:
    """The published list, or None when the round has none yet."""
    reply = services.get(f"selection-rounds/{round_id}/publicity")
    if reply.status == 403:
        abort(403)
    if reply.status == 404:
        return None
    if not reply.ok or not isinstance(reply.data, dict):
        raise services.ServiceDown("placements")
    return reply.data


def days_left(notice: dict[str, Any]) -> int | None:
    """Working days still to run (the reviews pages' count, on the same official calendar)."""
    return publicity.days_left({**notice, "remaining_working_days": notice.get("remaining")})


def _findable() -> list[dict[str, Any]]:
    """The lists the service lets anyone signed in find (running or paused first, then the recently ended): one
    call, so a reader who reads no round (a teacher who may object) finds them too."""
    reply = services.get("selection-rounds/publicity")
    if not reply.ok or not isinstance(reply.data, dict):
        raise services.ServiceDown("placements")
    return list(reply.data.get("items", []))


@bp.get("/selection/lists")
@login_required
def lists() -> str:
    """Every candidate list the reader can find, each linking to its notice and objection form."""
    return render_template("selection_lists.html", notices=_findable(),
                           notice_status=lambda code: str(STATUSES.get(code, code)))


def _candidates(notice: dict[str, Any], blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(row["application_id"], f"{row['position']}. {row['name']}")
                            for row in notice.get("candidates", [])]


def _page(round_id: Any, form: ObjectionForm, status: int = 200) -> tuple[str, int]:
    notice = _notice(round_id)
    if notice is None and not is_office():
        abort(404)
    if notice is not None:
        form.application_id.choices = _candidates(notice, _("Nobody in particular"))
    round_ = {**_round(round_id), **({"program_name": notice["program_name"]} if notice else {})}
    return render_template("selection_publicity.html", r=round_, notice=notice, form=form,
                           errors=error_links(form), office=is_office(), schools=school_names(),
                           days_left=days_left(notice) if notice else None, waiting=WAITING,
                           notice_status=lambda code: str(STATUSES.get(code, code)),
                           objection_status=publicity.OBJECTION_STATUSES.get), status


@bp.route("/selection/rounds/<uuid:round_id>/publicity", methods=["GET", "POST"])
@login_required
def notice(round_id: Any) -> Any:
    """The list and its period; POST lodges an objection."""
    form, status = ObjectionForm(), 200
    if form.is_submitted():
        status = 422
        if form.validate():
            body: dict[str, Any] = {"text": form.text.data.strip()}
            if form.application_id.data:
                body["application_id"] = form.application_id.data
            reply = services.request("POST", f"selection-rounds/{round_id}/publicity/objections", json_body=body)
            if reply.ok:
                return redirect(url_for("web_selection_publicity.objected", round_id=round_id))
            if reply.status == 404:
                abort(404)
            status = reply.status if reply.status in (403, 409) else 422
            show_errors(form, reply)
    return _page(round_id, form, status)


@bp.post("/selection/rounds/<uuid:round_id>/publicity/publish")
@login_required
def publish(round_id: Any) -> Any:
    """The ICD publishes the list (after an allocation run)."""
    if not is_office():
        abort(403)
    reply = services.request("POST", f"selection-rounds/{round_id}/publicity")
    if reply.ok:
        flash(_("The candidate list is published.") if reply.data.get("status") == "open" else
              _("The list is saved but not published yet: the calendar does not know the year."), "success")
        return redirect(url_for("web_selection_publicity.notice", round_id=round_id))
    form = ObjectionForm()
    form.form_errors.append(reply.message or _("That could not be done; nothing changed."))
    return _page(round_id, form, reply.status if reply.status in (403, 409) else 422)


@bp.get("/selection/rounds/<uuid:round_id>/publicity/objected")
@login_required
def objected(round_id: Any) -> str:
    """The confirmation after an objection (a page of its own, so reloading it sends nothing twice)."""
    return render_template("selection_publicity_objected.html", r=_round(round_id))


@bp.route("/selection/rounds/<uuid:round_id>/publicity/objections/<uuid:objection_id>", methods=["GET", "POST"])
@login_required
def decide(round_id: Any, objection_id: Any) -> Any:
    """The ICD's decision on one objection, with its text."""
    if not is_office():
        abort(403)
    notice = _notice(round_id)
    found = [o for o in (notice or {}).get("objections", []) if o["id"] == str(objection_id)]
    if notice is None or not found:
        abort(404)
    objection, form, status = found[0], DecisionForm(), 200
    form.application_id.choices = _candidates(notice, _("The candidate the objection names"))
    if form.is_submitted() and objection["status"] == "open":
        status = 422
        if form.validate():
            body: dict[str, Any] = {"outcome": form.outcome.data, "comment": (form.comment.data or "").strip() or None}
            if form.application_id.data:
                body["application_id"] = form.application_id.data
            reply = services.request("POST", f"selection-rounds/{round_id}/publicity/objections/{objection_id}"
                                     "/decision", json_body=body)
            if reply.ok:
                flash(_("The objection is decided."), "success")
                return redirect(url_for("web_selection_publicity.notice", round_id=round_id))
            status = reply.status if reply.status in (403, 404, 409) else 422
            show_errors(form, reply)
    about = {row["application_id"]: row for row in notice.get("candidates", [])}.get(
        objection.get("application_id") or "")
    return render_template("selection_publicity_decision.html", r=_round(round_id), notice=notice,
                           objection=objection, about=about, form=form, errors=error_links(form),
                           objection_status=publicity.OBJECTION_STATUSES.get), status
