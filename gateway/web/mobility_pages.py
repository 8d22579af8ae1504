"""The traveller's pages after approval (the mobilities service): "My trips" (/mobilities), one record (its
people, dates, checklist before departure, departure, arrival and return with their dates, a no-show after a
confirmation, dated steps, files, a change of end date, the report panel, credit recognitions) and the report
(/mobilities/<id>/report: a text per section of the kind, save a draft, hand it in).

The service decides; these pages send what was typed and show what it answered. A refusal (409, or 422 with its
errors) is shown in an error summary linking to the field, with nothing changed; a success redirects back to the
record (post, redirect, get), so reloading sends nothing twice. Dates are typed as day, month and year (GOV.UK).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.web import mobility_words, services
from gateway.web.security import csrf
from gateway.web.sessions import has_any_role, login_required
from gateway.web.words import choice_name

bp = Blueprint("web_mobilities", __name__)
bp.before_request(csrf.protect)

OFFICE = ("icd_officer", "admin")  # may act for a traveller (as the service's access.py)
# A dated form → the service's path under the record, and what the page says when it is done.
DATED = {"departure": "departure", "arrival": "arrival", "return": "return", "work_permit": "steps/work_permit",
         "residence_permit": "steps/residence_permit", "held": "steps/held"}
DONE = {"departure": _l("Departure confirmed."), "arrival": _l("Arrival confirmed."), "return": _l("Return confirmed."),
        "work_permit": _l("Work permit recorded."), "residence_permit": _l("Residence permit recorded."),
        "held": _l("The event is recorded as held.")}
INBOUND_DONE = {"departure": _l("Entry into China confirmed."), "return": _l("Departure from China confirmed.")}
UPLOAD_WHEN = {"arrival_confirmation": ("departed",), "transcript": ("returned",), "photo": ("returned",),
               "attendee_list": ("returned",)}  # as the service's files_api.py: when each file may come
REPORT_OPEN = ("draft", "returned")


@dataclass
class Problem:
    """What a refused form shows: which form (`form`), messages by input id, the summary's links, the values."""

    form: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)

    def add(self, input_id: str, message: str) -> None:
        self.fields.setdefault(input_id, []).append(message)
        self.links.append((f"#{input_id}", message))

    def __bool__(self) -> bool:
        return bool(self.links)


def _record(mobility_id: Any) -> dict[str, Any]:
    reply = services.get(f"mobilities/{mobility_id}")
    if reply.status in (403, 404) or not reply.ok:
        abort(404)  # another traveller's record looks like one that does not exist
    return reply.data  # type: ignore[no-any-return]


def may_act(record: dict[str, Any]) -> bool:
    """Whether the page offers the record's forms: its applicant, or the office acting for the traveller."""
    return bool(record.get("owner") == g.user.username or has_any_role(g.user, *OFFICE))


def _group(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The other people travelling under the same approval, as far as the reader may see them."""
    reply = services.get("mobilities", application_id=record["application_id"])
    items = reply.data.get("items", []) if reply.ok and isinstance(reply.data, dict) else []
    return [r for r in items if r["id"] != record["id"]]


def next_step(record: dict[str, Any]) -> dict[str, Any] | None:
    """What the record waits for, in words: {text, due_on?, overdue}; None for a record that has ended."""
    status, j = record["status"], record.get("journey") or {}
    report = record.get("report") or {}
    due = next((d for d in record.get("due") or [] if not (d["what"] == j.get("owes") and handed_in(report))), None)
    if due:
        return {"text": _("%(what)s due", what=mobility_words.owed(due["what"])), "due_on": due["due_on"],
                "overdue": bool(due.get("overdue"))}
    if status == "planned":
        left = [c for c in record.get("checklist") or [] if not c["done"]]
        if left:
            return {"text": _("Checklist before departure: %(n)d to do", n=len(left)), "overdue": False}
        if "held" in (j.get("steps") or []):
            return {"text": _("Record the day the event was held"), "overdue": False}
        return {"text": _("Confirm entry into China") if j.get("inbound") else _("Confirm departure"),
                "overdue": False}
    if status == "departed":
        if not j.get("inbound") and not record.get("arrived_on"):
            return {"text": _("Confirm arrival"), "overdue": False}
        return {"text": _("Confirm departure from China") if j.get("inbound") else _("Confirm return"),
                "overdue": False}
    if status == "returned" and j.get("owes") == "transcript":
        return {"text": _("Upload the transcript of records"), "overdue": False}
    if status == "returned" and report:
        return {"text": mobility_words.report_status(report["status"]),
                "due_on": None if handed_in(report) else report.get("due_on"), "overdue": False}
    if status == "reported" and j.get("owes") == "transcript":
        return {"text": _("Waiting for the credit recognition"), "overdue": False}
    if status == "reported" and report.get("published_until"):
        return {"text": _("Published until"), "due_on": report["published_until"], "overdue": False}
    return None


def handed_in(report: dict[str, Any] | None) -> bool:
    """A report with its reviewers: no longer the traveller's to do, so not "overdue" on their pages."""
    return bool(report) and (report or {}).get("status") not in REPORT_OPEN


def category_name(record: dict[str, Any]) -> str:
    return choice_name(record["kind"], "category", record["category"]) if record.get("category") else ""


@bp.get("/mobilities")
@login_required
def my_trips() -> str:
    reply = services.get("mobilities", mine="true")
    items = reply.data.get("items", []) if reply.ok and isinstance(reply.data, dict) else []
    return render_template("mobility_list.html", records=items)


@bp.get("/mobilities/<uuid:mobility_id>")
@login_required
def record(mobility_id: Any) -> Any:
    return _page(_record(mobility_id))


def _page(record: dict[str, Any], problem: Problem | None = None, status: int = 200) -> tuple[str, int]:
    problem = problem or Problem()
    return render_template("mobility.html", record=record, group=_group(record), may_act=may_act(record),
                           problem=problem, errors=problem.links, upload_when=UPLOAD_WHEN,
                           report_open=REPORT_OPEN), status


# -- the forms on the record's page ------------------------------------------------------------------------------

def posted_date(prefix: str, problem: Problem) -> str | None:
    """The date typed as day, month and year (inputs `<prefix>-day` ...), as ISO; None with the problem noted."""
    parts = [request.form.get(f"{prefix}-{part}", "").strip() for part in ("day", "month", "year")]
    for part, value in zip(("day", "month", "year"), parts, strict=True):
        problem.values[f"{prefix}-{part}"] = value
    if not any(parts):
        problem.add(f"{prefix}-day", _("Enter the date."))
        return None
    missing = next((n for n, v in zip(("day", "month", "year"), parts, strict=True) if not v), None)
    if missing:
        problem.add(f"{prefix}-{missing}", {"day": _("The date must include a day."),
                                            "month": _("The date must include a month."),
                                            "year": _("The date must include a year.")}[missing])
        return None
    if not all(v.isdecimal() for v in parts) or len(parts[2]) != 4:
        problem.add(f"{prefix}-day", _("Enter the date as numbers, the year with four digits, e.g. 27 3 2027."))
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
    except ValueError:
        problem.add(f"{prefix}-day", _("Enter a real date."))
        return None


def refused(reply: services.Reply, problem: Problem, fields: dict[str, str], anchor: str) -> Problem:
    """The service's refusal on the page: each 422 error at the input its field names (`fields`: API field →
    input id), anything else (a 409's reason) at `anchor`, every message in the reader's words."""
    errors = reply.field_errors()
    order = list(fields)  # the form's order: the service's JSON keeps none
    for key in sorted(errors, key=lambda k: order.index(k) if k in order else len(order)):
        for message in errors[key]:
            text = mobility_words.explain(message)
            if key in mobility_words.SECTIONS:  # "Write this section" says which
                text = _("%(field)s: %(message)s", field=mobility_words.section(key), message=text)
            problem.add(fields.get(key, anchor), text)
    if not errors:
        problem.add(anchor, mobility_words.explain(reply.message) or _("That could not be done; nothing changed."))
    return problem


def _sent(mobility_id: Any, path: str, body: dict[str, Any], form: str, fields: dict[str, str], anchor: str,
          done: str, problem: Problem | None = None) -> Any:
    """Send one form's request; on success back to the record with `done`, else the record with the refusal."""
    reply = services.request("POST", f"mobilities/{mobility_id}/{path}", json_body=body)
    if reply.status in (403, 404):
        abort(404)
    if reply.ok:
        flash(done, "success")
        return redirect(url_for("web_mobilities.record", mobility_id=mobility_id))
    problem = refused(reply, problem or Problem(form=form), fields, anchor)
    problem.form = form
    return _page(_record(mobility_id), problem, 409 if reply.status == 409 else 422)


@bp.post("/mobilities/<uuid:mobility_id>/checklist/<item>")
@login_required
def tick(mobility_id: Any, item: str) -> Any:
    return _sent(mobility_id, f"checklist/{item}", {"done": True}, "checklist", {}, f"checklist-{item}",
                 _("“%(item)s” is done.", item=mobility_words.checklist_item(item)))


@bp.post("/mobilities/<uuid:mobility_id>/dated/<what>")
@login_required
def dated(mobility_id: Any, what: str) -> Any:
    """Departure, arrival, return, a permit, an event held: one date each."""
    if what not in DATED:
        abort(404)
    problem = Problem(form=what)
    on = posted_date(what, problem)
    if on is None:
        return _page(_record(mobility_id), problem, 422)
    record = _record(mobility_id)
    inbound = bool((record.get("journey") or {}).get("inbound")) and record["kind"] != "hosted_event"
    done = (INBOUND_DONE if inbound else DONE).get(what) or DONE[what]
    return _sent(mobility_id, DATED[what], {"date": on}, what, {"date": f"{what}-day"}, f"{what}-day", str(done),
                 problem)


@bp.post("/mobilities/<uuid:mobility_id>/end-date")
@login_required
def end_date(mobility_id: Any) -> Any:
    """A new end of the stay: earlier applies at once, later waits for approval (the service decides which)."""
    problem = Problem(form="end_date")
    reason = request.form.get("reason", "").strip()
    problem.values["reason"] = request.form.get("reason", "")
    on = posted_date("end_date", problem)
    if not reason:
        problem.add("reason", _("Say why the end date changes."))
    if problem:
        return _page(_record(mobility_id), problem, 422)
    return _sent(mobility_id, "dates", {"end_date": on, "reason": reason}, "end_date",
                 {"end_date": "end_date-day", "reason": "reason"}, "end_date-day",
                 _("The new end date is sent. A later end waits for approval; an earlier one applies at once."),
                 problem)


@bp.route("/mobilities/<uuid:mobility_id>/no-show", methods=["GET", "POST"])
@login_required
def no_show(mobility_id: Any) -> Any:
    """"Did not go?": the consequence, a required reason and one button, before the record ends."""
    record = _record(mobility_id)
    if record["status"] != "planned" or not may_act(record):
        abort(404)
    problem = Problem(form="no_show")
    if request.method == "POST":
        reason = request.form.get("reason", "").strip()
        problem.values["reason"] = request.form.get("reason", "")
        if not reason:
            problem.add("reason", _("Say why they did not go."))
        else:
            reply = services.request("POST", f"mobilities/{mobility_id}/no-show", json_body={"reason": reason})
            if reply.ok:
                flash(_("The record says they did not go."), "success")
                return redirect(url_for("web_mobilities.record", mobility_id=mobility_id))
            if reply.status in (403, 404):
                abort(404)
            refused(reply, problem, {"reason": "reason"}, "reason")
    status = 422 if problem else 200
    return render_template("mobility_no_show.html", record=record, problem=problem, errors=problem.links), status


@bp.post("/mobilities/<uuid:mobility_id>/files")
@login_required
def upload(mobility_id: Any) -> Any:
    """One file of a type the kind takes (the type is the form's hidden field); back to the record or report."""
    file_type = request.form.get("file_type", "")
    to_report = request.form.get("back") == "report"
    anchor = f"file-{file_type}"
    problem = Problem(form=f"file-{file_type}")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        problem.add(anchor, _("Choose a file."))
    else:
        reply = services.request(
            "POST", f"mobilities/{mobility_id}/files", fields={"file_type": file_type},
            files=("file", upload.filename, upload.read(), upload.mimetype or "application/octet-stream"))
        if reply.status in (403, 404):
            abort(404)
        if reply.ok:
            flash(_("%(type)s uploaded.", type=mobility_words.file_type(file_type)), "success")
            target = "web_mobilities.report" if to_report else "web_mobilities.record"
            return redirect(url_for(target, mobility_id=mobility_id))
        refused(reply, problem, {"file": anchor, "file_type": anchor}, anchor)
    if to_report:
        return _report_page(_record(mobility_id), problem, 422)
    return _page(_record(mobility_id), problem, 422)


@bp.get("/mobilities/<uuid:mobility_id>/files/<uuid:file_id>")
@login_required
def download(mobility_id: Any, file_id: Any) -> Response:
    return services.file_response(services.get(f"mobilities/{mobility_id}/files/{file_id}"), (
        "Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options", "Content-Security-Policy"))


# -- the report ----------------------------------------------------------------------------------------------------

def _report_page(record: dict[str, Any], problem: Problem | None = None, status: int = 200,
                 typed: dict[str, str] | None = None) -> tuple[str, int]:
    report = record.get("report")
    if report is None:
        abort(404)  # no report is owed (yet: it opens on return)
    problem = problem or Problem()
    sections = (record.get("journey") or {}).get("sections") or report.get("required", {}).get("sections") or []
    texts = {name: (typed or {}).get(name, (report.get("sections") or {}).get(name, "")) for name in sections}
    files = record.get("files") or []
    return render_template(
        "mobility_report.html", record=record, report=report, sections=sections, texts=texts,
        length=sum(len(t.strip()) for t in texts.values()), problem=problem, errors=problem.links,
        photos=[f for f in files if f["file_type"] == "photo"],
        attendee_lists=[f for f in files if f["file_type"] == "attendee_list"],
        editable=report["status"] in REPORT_OPEN and may_act(record)), status


@bp.route("/mobilities/<uuid:mobility_id>/report", methods=["GET", "POST"])
@login_required
def report(mobility_id: Any) -> Any:
    """The report's sections: "Save draft" keeps them; "Hand in" saves them, then hands the report in."""
    record = _record(mobility_id)
    if request.method == "GET":
        return _report_page(record)
    sections = (record.get("journey") or {}).get("sections") or []
    typed = {name: request.form.get(f"section-{name}", "") for name in sections}
    fields = {name: f"section-{name}" for name in sections}
    fields.update({"sections": f"section-{sections[0]}" if sections else "sections", "photos": "file-photo",
                   "attendee_list": "file-attendee_list"})
    problem = Problem(form="report")
    saved = services.request("PUT", f"mobilities/{mobility_id}/report", json_body={"sections": typed})
    if saved.status in (403, 404):
        abort(404)
    if not saved.ok:
        refused(saved, problem, fields, "report")
        return _report_page(record, problem, 409 if saved.status == 409 else 422, typed)
    if request.form.get("action") != "hand_in":
        flash(_("Draft saved."), "success")
        return redirect(url_for("web_mobilities.report", mobility_id=mobility_id))
    handed = services.request("POST", f"mobilities/{mobility_id}/report/submit")
    if handed.ok:
        flash(_("The report is handed in. The school reviews it first, then the ICD."), "success")
        return redirect(url_for("web_mobilities.record", mobility_id=mobility_id))
    refused(handed, problem, fields, "report")
    flash(_("Your text is saved as a draft; the report is not handed in."), "info")
    return _report_page(_record(mobility_id), problem, 409 if handed.status == 409 else 422, typed)


for _name, _words in {**mobility_words.NAMES, "next_step": next_step, "category_name": category_name}.items():
    bp.add_app_template_global(_words, _name)
