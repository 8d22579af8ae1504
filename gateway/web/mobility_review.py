"""Reviewer pages of what follows approval (the mobilities service): the trip reports waiting for the reader
(/mobilities/reports: the school stage for a school's reviewers, the ICD stage for the ICD), one report read in
full with its photos and the decision (accept, or return with a comment), the overdue dashboard in the reader's
scope, a student's credit recognition, and the published reports the publicity page lists.

The service decides who sees and decides what; these pages show what it answers, a refusal in words with nothing
changed; its codes are in words by gateway/web/mobility_words.py, shared with the traveller's pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import Length

from gateway.models import School
from gateway.web import mobility_words, services
from gateway.web.forms import error_links, show_errors
from gateway.web.security import csrf
from gateway.web.services import ServiceDown
from gateway.web.sessions import REVIEWER_ROLES, has_any_role, roles_required
from gateway.web.widgets import page_language

bp = Blueprint("web_mobility_review", __name__)
bp.before_request(csrf.protect)

CREDIT_RECORDERS = ("school_coordinator", "school_dean", "icd_officer", "admin")  # as the service's access.py
STAGES = {"school": _l("School review"), "icd": _l("ICD review")}
RECOGNITION_LABELS = {"host_course": _l("Course at the host"), "credits": _l("Credits at the host"),
                      "grade": _l("Grade"), "home_course": _l("Course recognised at home"),
                      "recognised_credits": _l("Credits recognised")}
# the mobilities service's messages these pages may show, listed so that they are extracted and translated
SERVICE_MESSAGES = [
    _l("This report waits for the ICD."), _l("This report waits for the school."),
    _l("Say what to change."), _l("The overdue list is for reviewers and the office."),
    _l("Only the school's reviewers or the office record credit recognition."),
    _l("Credit recognition is recorded for a student's stay only."),
    _l("The transcript of records comes first: it is not uploaded yet."),
    _l("Length must be between 1 and 200."), _l("Length must be between 0 and 4000."),
    _l("Must be greater than or equal to 0 and less than or equal to 100."),
]
FILE_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options",
                "Content-Security-Policy")


def words_for(table: dict[str, Any], code: str | None) -> str:
    return str(table.get(code or "", code or ""))


def school_names() -> dict[str, str]:
    chinese = page_language() == "zh"
    with current_app.extensions["gateway"].sessions() as db:
        return {s.code: (s.name_zh if chinese and s.name_zh else s.name_en) or s.code for s in db.query(School)}


def stage_of(report: dict[str, Any] | None) -> str | None:
    """The stage a report waits for: the school's after it is handed in, the ICD's after the school accepted."""
    return {"submitted": "school", "school_accepted": "icd"}.get((report or {}).get("status") or "")


def helpers() -> dict[str, Any]:
    return {"report_status": mobility_words.report_status, "stage_name": lambda c: words_for(STAGES, c),
            "section_name": mobility_words.section, "section_order": mobility_words.section_order,
            "due_name": mobility_words.owed,
            "person_role": mobility_words.role, "file_type": mobility_words.file_type, "schools": school_names()}


def _record(mobility_id: str) -> dict[str, Any]:
    reply = services.get(f"mobilities/{mobility_id}")
    if not reply.ok or not isinstance(reply.data, dict):
        abort(404)
    return reply.data


def _items(reply: services.Reply) -> list[dict[str, Any]]:
    return list(reply.data.get("items") or []) if reply.ok and isinstance(reply.data, dict) else []


# -- the queue ---------------------------------------------------------------------------------------------------

@bp.get("/mobilities/reports")
@roles_required(*REVIEWER_ROLES)
def reports() -> str:
    """The reports waiting for the reader, and the students' stays whose credits the school records next."""
    waiting = _items(services.get("mobilities/reports"))
    credits = []
    if has_any_role(g.user, *CREDIT_RECORDERS):
        credits = _items(services.get("mobilities", kind="student_exchange", status="reported"))
    return render_template("mobility_reports.html", items=waiting, credits=credits, **helpers())


# -- one report and its decision ---------------------------------------------------------------------------------

class ReportDecisionForm(FlaskForm):
    outcome = RadioField(_l("Your decision"), choices=[("accept", _l("Accept the report")),
                                                      ("return", _l("Return it for changes"))],
                         validate_choice=False)
    comment = TextAreaField(_l("Comment (required to return it: say what to change)"),
                            validators=[Length(max=4000)], render_kw={"rows": 5})


def _in_my_queue(mobility_id: str) -> bool:
    """The service's queue says whether the reader decides this report now (its stage, its school)."""
    return any(item["mobility"]["id"] == mobility_id for item in _items(services.get("mobilities/reports")))


@bp.route("/mobilities/<uuid:mobility_id>/review", methods=["GET", "POST"])
@roles_required(*REVIEWER_ROLES)
def review(mobility_id: Any) -> Any:
    record = _record(str(mobility_id))
    if record.get("report") is None:
        abort(404)
    form, status = ReportDecisionForm(), 200
    if form.is_submitted():
        status = _decide(str(mobility_id), form)
        if status == 200:
            return redirect(url_for("web_mobility_review.reports"))
        record = _record(str(mobility_id))
    return render_template("mobility_review.html", record=record, report=record["report"], form=form,
                           errors=error_links(form), stage=stage_of(record["report"]),
                           decides=_in_my_queue(str(mobility_id)), **helpers()), status


def _decide(mobility_id: str, form: ReportDecisionForm) -> int:
    """Send the decision; 200 when done (with a message for the next page), else the page's status with the
    form's errors in words."""
    if form.outcome.data not in ("accept", "return"):
        form.outcome.errors = [_("Choose whether to accept the report or return it.")]
        return 422
    if not form.validate():
        return 422
    comment = (form.comment.data or "").strip() or None
    reply = services.request("POST", f"mobilities/{mobility_id}/report/decision",
                             json_body={"outcome": form.outcome.data, "comment": comment})
    if reply.ok:
        flash(_("The report is accepted.") if form.outcome.data == "accept" else
              _("The report is returned to the traveller with your comment."), "success")
        return 200
    if reply.status == 404:
        abort(404)
    if reply.status == 409:  # its message names a status code: say it in words
        form.form_errors.append(_("This report is no longer waiting for this decision: it was decided already. "
                                  "Nothing was changed."))
    elif reply.status == 422 and reply.field_errors():
        show_errors(form, reply)
    else:
        form.form_errors.append(mobility_words.explain(reply.message) or _("The decision was refused."))
    return reply.status if reply.status in (403, 409) else 422


@bp.get("/mobilities/<uuid:mobility_id>/review/files/<uuid:file_id>")
@roles_required(*REVIEWER_ROLES)
def file(mobility_id: Any, file_id: Any) -> Response:
    """A photo or a list of the record, passed on from the service (an attachment, nosniff)."""
    return services.file_response(services.get(f"mobilities/{mobility_id}/files/{file_id}"), FILE_HEADERS)


# -- overdue -----------------------------------------------------------------------------------------------------

@bp.get("/mobilities/overdue")
@roles_required(*REVIEWER_ROLES)
def overdue() -> str:
    reply = services.get("mobilities/overdue")
    if reply.status in (401, 403):
        abort(403)
    return render_template("mobility_overdue.html", items=_items(reply), **helpers())


# -- a student's credit recognition ------------------------------------------------------------------------------

class RecognitionForm(FlaskForm):
    host_course = StringField(RECOGNITION_LABELS["host_course"], validators=[Length(max=200)])
    credits = StringField(RECOGNITION_LABELS["credits"], render_kw={"inputmode": "decimal"})
    grade = StringField(RECOGNITION_LABELS["grade"], validators=[Length(max=40)],
                        description=_l("As the transcript gives it; leave empty if it gives none."))
    home_course = StringField(RECOGNITION_LABELS["home_course"], validators=[Length(max=200)])
    recognised_credits = StringField(RECOGNITION_LABELS["recognised_credits"], render_kw={"inputmode": "decimal"})

    def to_api(self) -> dict[str, Any]:
        """What was typed, trimmed; an empty field left out, so the service names it as missing."""
        typed = {name: (getattr(self, name).data or "").strip() for name in RECOGNITION_LABELS}
        body: dict[str, Any] = {name: value for name, value in typed.items() if value}
        body.setdefault("grade", None)
        return body


@bp.route("/mobilities/<uuid:mobility_id>/recognitions", methods=["GET", "POST"])
@roles_required(*CREDIT_RECORDERS)
def recognitions(mobility_id: Any) -> Any:
    record = _record(str(mobility_id))
    if (record.get("journey") or {}).get("owes") != "transcript":
        abort(404)
    form, status = RecognitionForm(), 200
    if form.is_submitted():
        status = 422
        if form.validate():
            reply = services.request("POST", f"mobilities/{mobility_id}/recognitions", json_body=form.to_api())
            if reply.ok:
                flash(_("The credit recognition is recorded."), "success")
                return redirect(url_for("web_mobility_review.recognitions", mobility_id=mobility_id))
            if reply.status == 404:
                abort(404)
            status = reply.status if reply.status in (403, 409) else 422
            if reply.status == 422 and reply.field_errors():
                show_errors(form, reply)
            else:
                form.form_errors.append(mobility_words.explain(reply.message) or
                                        _("The credit recognition was refused."))
    return render_template("mobility_recognitions.html", record=record, form=form, errors=error_links(form),
                           **helpers()), status


# -- the publicity page's section ----------------------------------------------------------------------------------

def published() -> list[dict[str, Any]]:
    """The accepted reports within their publication period (any signed-in reader); none while the service is
    down, so the publicity page still shows its notices."""
    try:
        return _items(services.get("mobilities/published"))
    except ServiceDown:
        return []
