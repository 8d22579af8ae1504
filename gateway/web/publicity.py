"""Publicity pages (公示) and the 任务批件 on the application page.

Staff (anyone signed in with a role other than student) read the running notices (/publicity) and each notice
(/publicity/<application id>): only what the notice publishes (members' names, schools and posts; countries;
tasks; schedule; inviter; funding; budget), its period in the office's zone and the working days left, and a form
to object under their own name. The reviews service decides who sees an objector's name (ICD officers and
admins); these pages show what it sends.

The ICD's side is the reviewer's task page (web/reviewer.py): a publicity task with an open objection offers the
publicity level type's outcomes in words (decision_form, objections_of).

The application page asks publicity_of() and approval_of() (template globals) for its "Publicity" and "Approval
document" sections; the statement and the 任务批件's PDFs are proxied like documents, and "Cancel this trip" is
confirmed on its own page with a required reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from chassis.workdays import Calendar, UnknownYear
from gateway.web import mobility_review, services
from gateway.web.forms import DecisionForm, error_links, required_text, show_errors
from gateway.web.security import csrf
from gateway.web.sessions import has_any_role, login_required
from gateway.web.widgets import country_name, page_language

bp = Blueprint("web_publicity", __name__)
bp.before_request(csrf.protect)

ICD = ("icd_officer", "admin")
OFFICE = ICD  # who besides the applicant may cancel an approved trip (the service decides; the page offers)
NOTICE_STATUSES = {
    "open": _l("Running"), "paused": _l("Paused for an objection"), "ended": _l("Ended with no objection upheld"),
    "upheld": _l("Ended: an objection was upheld"), "withdrawn": _l("Stopped: the application was withdrawn"),
    "blocked": _l("Not opened: the calendar does not know the year"),
}
OBJECTION_STATUSES = {"open": _l("Waiting for the ICD's decision"), "upheld": _l("Upheld"),
                      "dismissed": _l("Dismissed")}
APPROVAL_STATUSES = {"valid": _l("Valid"), "superseded": _l("Superseded"), "cancelled": _l("Cancelled")}
# the publicity level type's outcomes (services/reviews/levels/publicity.py), in words
OUTCOMES = [("uphold_return", _l("Uphold the objection and return the application")),
            ("uphold_reject", _l("Uphold and reject")),
            ("dismiss", _l("Dismiss the objection (the period resumes)"))]
# what the reviews and applications services may answer here, for the catalog (web/messages.py translates them)
SERVICE_MESSAGES = [
    _l("Publicity notices are for the university's staff."), _l("No publicity notice for this application."),
    _l("Nobody objects to their own trip."), _l("Say what the objection is."),
    _l("Say why: a comment is required to uphold an objection."),
    _l("The publicity period is paused; objections are taken only while it runs."),
    _l("The publicity period is ended; objections are taken only while it runs."),
    _l("Only the applicant or the office can cancel an application."),
]



class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection"), validators=[required_text(_l("Say what the objection is.")),
                                                            Length(max=5000)], render_kw={"rows": 6})


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why is the trip cancelled?"), validators=[
        required_text(_l("Say why the trip is cancelled.")), Length(max=2000)], render_kw={"rows": 4})


def is_staff(user: Any) -> bool:
    return user is not None and any(r.get("role") not in (None, "student") for r in user.roles)


@bp.app_context_processor
def _staff_flag() -> dict[str, Any]:
    return {"is_staff": is_staff(g.get("user"))}


# -- reading ---------------------------------------------------------------------------------------------------

def _today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(current_app.extensions["gateway"].settings.timezone)).date()


def _calendar(years: range) -> Calendar:
    """The official calendar as reviews keeps it: its entered years (admin → Calendar) over chinesecalendar."""
    entered: dict[int, dict[date, bool]] = {}
    for year in years:
        reply = services.get(f"calendar/{year}")
        if reply.ok and reply.data.get("source") == "entered":
            entered[year] = {date.fromisoformat(d["date"]): bool(d["workday"]) for d in reply.data.get("days", [])}
    return Calendar(entered=entered)


def days_left(notice: dict[str, Any]) -> int | None:
    """Working days still to run after today: counted to the last day while it runs, as the service kept them while
    paused; None when it is over or the calendar does not know a year."""
    if notice["status"] == "paused":
        return notice.get("remaining_working_days")
    if notice["status"] != "open" or not notice.get("ends_on"):
        return None
    today, ends_on = _today(), date.fromisoformat(notice["ends_on"])
    if ends_on <= today:
        return 0
    try:
        return _calendar(range(today.year, ends_on.year + 1)).working_days_between(today, ends_on)
    except UnknownYear:
        return None


def group_title(content: dict[str, Any] | None) -> str:
    """A notice's group in words: its first member and how many more, and where to ("Li Wei and 2 others: Germany,
    France"). The notice carries no title of the application, only what is published."""
    content = content or {}
    members = content.get("members") or []
    first = members[0]["name"] if members else ""
    who = _("%(name)s and %(n)d others", name=first, n=len(members) - 1) if len(members) > 1 else first
    countries = countries_words(content.get("countries") or [])
    colon = "：" if page_language() == "zh" else ": "
    return f"{who}{colon}{countries}" if who and countries else who or countries


def country_words(code: str) -> str:
    return country_name(code).removesuffix(f" ({code})")


def countries_words(codes: list[str]) -> str:
    """Countries in words, listed as the reader's language lists them ("Germany, France", "德国、法国")."""
    return ("、" if page_language() == "zh" else ", ").join(country_words(c) for c in codes)


def money(value: Any) -> str:
    try:
        return str(format_currency(value, "CNY"))
    except (ValueError, ArithmeticError, TypeError):
        return str(value or "")


def words_for(table: dict[str, Any], code: str | None) -> str:
    return str(table.get(code or "", code or ""))


def _notice(application_id: str) -> dict[str, Any]:
    reply = services.get(f"publicity/{application_id}")
    if reply.status == 403:
        abort(403)
    if not reply.ok:
        abort(404)
    return reply.data  # type: ignore[no-any-return]


def _helpers() -> dict[str, Any]:
    return {"group_title": group_title, "country_words": country_words, "countries_words": countries_words,
            "money": money,
            "notice_status": lambda code: words_for(NOTICE_STATUSES, code),
            "objection_status": lambda code: words_for(OBJECTION_STATUSES, code)}


@bp.get("/publicity")
@login_required
def notices() -> str:
    if not is_staff(g.user):
        abort(403)
    reply = services.get("publicity")
    if reply.status == 403:
        abort(403)
    return render_template("publicity_list.html", notices=reply.data if reply.ok else [], **_helpers(),
                           reports=mobility_review.published(), **mobility_review.helpers())


@bp.route("/publicity/<uuid:application_id>", methods=["GET", "POST"])
@login_required
def notice(application_id: Any) -> Any:
    if not is_staff(g.user):
        abort(403)
    form, status = ObjectionForm(), 200
    if form.is_submitted():
        status = 422
        if form.validate():
            reply = services.request("POST", f"publicity/{application_id}/objections",
                                     json_body={"text": form.text.data.strip()})
            if reply.ok:
                return redirect(url_for("web_publicity.objected", application_id=application_id))
            if reply.status == 404:
                abort(404)
            status = reply.status if reply.status in (403, 409) else 422
            show_errors(form, reply)
    shown = _notice(str(application_id))
    return render_template("publicity.html", notice=shown, form=form, errors=error_links(form),
                           days_left=days_left(shown), sees_names=has_any_role(g.user, *ICD), **_helpers()), status


@bp.get("/publicity/<uuid:application_id>/objected")
@login_required
def objected(application_id: Any) -> str:
    """The confirmation after an objection (a page of its own, so reloading it sends nothing twice)."""
    if not is_staff(g.user):
        abort(403)
    return render_template("publicity_objected.html", notice=_notice(str(application_id)), **_helpers())


# -- the application page's sections ---------------------------------------------------------------------------

def publicity_of(application: dict[str, Any]) -> dict[str, Any] | None:
    """`{% set p = publicity_of(application) %}`: the application's publicity period with its status and the
    statement's address, or None when it has none (or the reader is not staff)."""
    if application.get("status") in ("draft",) or not is_staff(g.get("user")):
        return None
    reply = services.get(f"publicity/{application['id']}")
    if not reply.ok or not isinstance(reply.data, dict):
        return None
    data = dict(reply.data)
    data["status_words"] = words_for(NOTICE_STATUSES, data.get("status"))
    data["statement_url"] = url_for("web_publicity.statement", application_id=application["id"]) \
        if data.get("opened_on") else None
    return data


def approval_of(application: dict[str, Any]) -> dict[str, Any] | None:
    """`{% set a = approval_of(application) %}`: the 任务批件's current revision and its links, or None."""
    if application.get("status") not in ("approved", "cancelled"):
        return None
    reply = services.get(f"applications/{application['id']}/approval")
    if not reply.ok or not isinstance(reply.data, dict):
        return None
    user, application_id = g.user, application["id"]
    may_cancel = application["status"] == "approved" and (
        application.get("applicant") == user.username or has_any_role(user, *OFFICE))
    return {**reply.data, "status_words": words_for(APPROVAL_STATUSES, reply.data.get("status")),
            "pdf_zh": url_for("web_publicity.approval_pdf", application_id=application_id, lang="zh"),
            "pdf_en": url_for("web_publicity.approval_pdf", application_id=application_id, lang="en"),
            "cancel_url": url_for("web_publicity.cancel", application_id=application_id) if may_cancel else None}


bp.add_app_template_global(publicity_of, "publicity_of")
bp.add_app_template_global(approval_of, "approval_of")
bp.add_app_template_global(lambda code: words_for(OBJECTION_STATUSES, code), "objection_status")


def _pdf(reply: services.Reply) -> Response:
    return services.file_response(reply, ("Content-Type", "Content-Disposition", "Cache-Control",
                                          "X-Content-Type-Options"))


@bp.get("/applications/<uuid:application_id>/publicity-statement.pdf")
@login_required
def statement(application_id: Any) -> Response:
    return _pdf(services.get(f"publicity/{application_id}/statement.pdf"))


@bp.get("/applications/<uuid:application_id>/approval.pdf")
@login_required
def approval_pdf(application_id: Any) -> Response:
    lang = request.args.get("lang") if request.args.get("lang") in ("zh", "en") else "zh"
    return _pdf(services.get(f"applications/{application_id}/approval.pdf", lang=lang))


@bp.route("/applications/<uuid:application_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(application_id: Any) -> Any:
    """"Cancel this trip?": the consequence in words and a required reason; the 任务批件 is cancelled with it."""
    reply = services.get(f"applications/{application_id}")
    if reply.status in (403, 404) or not reply.ok:
        abort(404)
    application, form, status = reply.data, CancelForm(), 200
    if form.is_submitted():
        status = 422
        if form.validate():
            version = request.form.get("version", type=int)
            done = services.request("POST", f"applications/{application_id}/cancel",
                                    json_body={"reason": form.reason.data.strip(),
                                               "version": version if version is not None else application["version"]})
            if done.ok:
                flash(_("The trip is cancelled, and its approval document with it."), "success")
                return redirect(url_for("web_applicant.detail", application_id=application_id))
            if done.status == 404:
                abort(404)
            status = done.status if done.status in (403, 409) else 422
            show_errors(form, done)
    elif application["status"] != "approved":
        return redirect(url_for("web_applicant.detail", application_id=application_id))
    return render_template("cancel_confirm.html", application=application, form=form, errors=error_links(form)), status


# -- the ICD's side: the reviewer's task page --------------------------------------------------------------------

def decision_form(task: dict[str, Any]) -> DecisionForm:
    """The task page's decision form: a publicity task's outcomes are its level type's (uphold and return,
    uphold and reject, dismiss), a comment required to uphold."""
    form = DecisionForm()
    if task.get("type") == "publicity":
        form.outcome.choices = [(code, str(label)) for code, label in OUTCOMES]
        form.comment.label.text = _("Comment (required to uphold the objection)")
    return form


def objections_of(task: dict[str, Any]) -> dict[str, Any] | None:
    """A publicity task's period and objections (with the objectors' names for the ICD), or None."""
    if task.get("type") != "publicity":
        return None
    reply = services.get(f"publicity/{task['application_id']}")
    if not reply.ok or not isinstance(reply.data, dict):
        return None
    return {**reply.data, "status_words": words_for(NOTICE_STATUSES, reply.data.get("status"))}
