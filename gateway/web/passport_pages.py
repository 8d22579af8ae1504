"""The register of official passports (the passports service): the list (/passports: the whole register, masked,
for the clerk, the ICD, the vice president and admins, a school's for its reviewers; a holder's own as "My
passports"), a new entry and the CSV import for the clerk, one passport (/passports/<id>: its summary, the clerk's
"Show number", hand-out for one of the holder's trips, return, the loans with their slips, the handovers), the
audit log with its CSV download, and the custody rules.

The service decides who sees what; these pages send what was typed and show what it answered. A refusal is shown
in words in an error summary linking to the field, with nothing changed; a success redirects (post, redirect,
get). A whole number is only ever the answer to the clerk's POST, shown once on that page and never in a URL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.web import passport_words, services
from gateway.web.mobility_pages import Problem, posted_date
from gateway.web.mobility_review import school_names
from gateway.web.security import csrf
from gateway.web.sessions import has_any_role, login_required, roles_required
from gateway.web.widgets import page_language

bp = Blueprint("web_passports", __name__)
bp.before_request(csrf.protect)

CLERK = "passport_clerk"
READERS = (CLERK, "icd_officer", "vice_president", "admin", "school_coordinator", "school_dean")  # as access.py
AUDITORS = (CLERK, "admin")
HOLDERS = ("teacher", "staff")  # staff travel on official passports: "My passports" in their menu
SOON_DAYS = 180  # "expiring soon": within six months, the margin a trip needs beyond its end
FILE_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options")
RULES = ("handout_days_before", "return_days", "remind_days_before", "school_hold_after_days")
RULE_LABELS = {
    "handout_days_before": _l("Days before departure a passport may be handed out"),
    "return_days": _l("Days after the return it is due back"),
    "remind_days_before": _l("Days before the due date the holder is reminded"),
    "school_hold_after_days": _l("Days overdue before the school's applications are held"),
    "school_hold": _l("Hold the school's new applications once a passport is that overdue"),
}
NEW_FIELDS = ("holder_name", "staff_number", "holder_username", "school", "type", "number", "issued_on",
              "expires_on", "kept_at", "note")


DATE_LABELS = {
    "expires_on": _l("Expiry date"), "issued_on": _l("Date of issue"), "handout_on": _l("Handed out on"),
    "return_on": _l("Back in the office on"),
}
OFFICE = ("icd_officer", "vice_president", "admin")  # they read every trip record (services/mobilities/access.py)


def is_clerk() -> bool:
    return has_any_role(g.user, CLERK)


def today() -> date:
    return datetime.now(ZoneInfo(current_app.extensions["gateway"].settings.timezone)).date()


@bp.app_context_processor
def _menu() -> dict[str, Any]:
    """The menu's link: the register for those who read it, "My passports" for staff who may hold one."""
    user = g.get("user")
    if has_any_role(user, *READERS):
        return {"passports_menu": "register"}
    return {"passports_menu": "mine" if has_any_role(user, *HOLDERS) else None}


def labelled_date(prefix: str, problem: Problem) -> str | None:
    """posted_date's check, its message naming the date ("Expiry date: enter a real date."): the new passport's
    and the edit's forms have two dates, and the summary alone must say which one is wrong."""
    found = Problem()
    on = posted_date(prefix, found)
    problem.values.update(found.values)
    label = DATE_LABELS[prefix]
    parts = [request.form.get(f"{prefix}-{part}", "").strip() for part in ("day", "month", "year")]
    for input_id, messages in found.fields.items():
        for message in messages:
            problem.add(input_id, _("Enter the expiry date.") if prefix == "expires_on" and not any(parts)
                        else _("%(field)s: %(message)s", field=label, message=message))
    return on


def _errors(reply: services.Reply) -> list[tuple[str, str]]:
    """A refusal's errors as (field, message): the 422's map, or its list of {field, message} (the hand-out's
    date, an import's lines carry theirs)."""
    found = reply.data.get("errors") if isinstance(reply.data, dict) else None
    if isinstance(found, list):
        return [(str(e.get("field", "")), str(e.get("message", ""))) for e in found if isinstance(e, dict)]
    return [(name, message) for name, messages in reply.field_errors().items() for message in messages]


def refused(reply: services.Reply, problem: Problem, fields: dict[str, str], anchor: str) -> Problem:
    """The service's refusal on the page: each error at the input its field names (`fields`: API field → input
    id), in the form's order; anything else (a 409's reason) at `anchor`; every message in the reader's words."""
    order = list(fields)
    errors = sorted(_errors(reply), key=lambda e: order.index(e[0]) if e[0] in order else len(order))
    for name, message in errors:
        problem.add(fields.get(name, anchor), passport_words.explain(message))
    if not errors:
        problem.add(anchor, passport_words.explain(reply.message) or _("That could not be done; nothing changed."))
    return problem


def _passport(passport_id: Any) -> dict[str, Any]:
    reply = services.get(f"passports/{passport_id}")
    if not reply.ok or not isinstance(reply.data, dict):
        abort(404)  # another's passport looks like one that does not exist
    return reply.data


# -- the register ---------------------------------------------------------------------------------------------------

@bp.get("/passports")
@login_required
def register() -> str:
    """The register in the reader's scope, with its filters (GET: a bookmarkable search); a holder's own."""
    reader = has_any_role(g.user, *READERS)
    chosen = {"status": request.args.get("status", ""), "q": request.args.get("q", "").strip()[:200],
              "soon": request.args.get("soon") == "1", "overdue": request.args.get("overdue") == "1"}
    if chosen["status"] not in passport_words.STATUSES:
        chosen["status"] = ""
    params: dict[str, Any] = {"status": chosen["status"], "q": chosen["q"]} if reader else {}
    if reader and chosen["soon"]:
        params["expiring_within"] = SOON_DAYS
    if reader and chosen["overdue"]:
        params["overdue"] = "true"
    reply = services.get("passports", **params)
    if not reply.ok:
        raise services.ServiceDown("passports")
    items = reply.data.get("items", [])
    if not reader:  # a school reviewer's own passport is theirs; anyone else sees only their own
        items = [p for p in items if p.get("holder_username") == g.user.username]
    return render_template("passport_list.html", items=items, reader=reader, chosen=chosen, soon_days=SOON_DAYS,
                           filtered=any(chosen.values()), schools=school_names(), clerk=is_clerk(),
                           auditor=has_any_role(g.user, *AUDITORS))


def _new_page(problem: Problem, status: int = 200) -> tuple[str, int]:
    return render_template("passport_new.html", problem=problem, errors=problem.links, schools=school_names(),
                           types=passport_words.TYPES), status


@bp.route("/passports/new", methods=["GET", "POST"])
@roles_required(CLERK)
def new() -> Any:
    """Enter one passport: the page checks the dates as typed; the service checks the rest (a duplicate: 409)."""
    problem = Problem(form="new")
    if request.method == "GET":
        return _new_page(problem)
    form = request.form
    for name in ("holder_name", "staff_number", "holder_username", "school", "type", "number", "kept_at", "note"):
        problem.values[name] = form.get(name, "")
    body: dict[str, Any] = {name: form.get(name, "").strip() for name in (
        "holder_name", "staff_number", "type", "number", "kept_at")}
    for name in ("holder_username", "school", "note"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    if not body["holder_name"]:
        problem.add("holder_name", _("Enter the holder's name."))
    if not body["staff_number"]:
        problem.add("staff_number", _("Enter the holder's staff number."))
    if body["type"] not in passport_words.TYPES:
        problem.add("type", _("Choose the type."))
    if not body["number"]:
        problem.add("number", _("Enter the number."))
    if any(form.get(f"issued_on-{part}", "").strip() for part in ("day", "month", "year")):
        body["issued_on"] = labelled_date("issued_on", problem)
    expires = labelled_date("expires_on", problem)
    if expires is not None:
        body["expires_on"] = expires
    if problem:
        return _new_page(problem, 422)
    reply = services.request("POST", "passports", json_body=body)
    if reply.status == 403:
        abort(403)
    if reply.ok:
        flash(_("The passport is entered in the register."), "success")
        return redirect(url_for("web_passports.passport", passport_id=reply.data["id"]))
    fields = {name: name for name in NEW_FIELDS}
    fields |= {"issued_on": "issued_on-day", "expires_on": "expires_on-day", "type": "type"}
    refused(reply, problem, fields, "number")
    return _new_page(problem, 409 if reply.status == 409 else 422)


@bp.route("/passports/import", methods=["GET", "POST"])
@roles_required(CLERK)
def import_csv() -> Any:
    """The office's existing list as CSV: every line or none; the lines in error listed by number."""
    problem = Problem(form="import")
    lines: list[dict[str, Any]] = []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problem.add("file", _("Choose the CSV file to import."))
        else:
            reply = services.request("POST", "passports/import",
                                     files=("file", upload.filename, upload.read(), upload.mimetype or "text/csv"))
            if reply.status == 403:
                abort(403)
            if reply.ok:
                count = int((reply.data or {}).get("created", 0))
                flash(_("%(n)d passports imported into the register.", n=count), "success")
                expired = int((reply.data or {}).get("expired", 0))
                if expired:  # entered, but not to be handed out: the clerk should know which to replace
                    flash(_("%(n)d of them had expired already and are entered as expired.", n=expired), "success")
                return redirect(url_for("web_passports.register"))
            found = reply.data.get("errors") if isinstance(reply.data, dict) else None
            if isinstance(found, list) and found:
                lines = [{"line": e.get("line"), "field": passport_words.column(str(e.get("field", ""))),
                          "message": passport_words.explain(str(e.get("message", "")))}
                         for e in found if isinstance(e, dict)]
                problem.add("file", passport_words.explain(reply.message))
            else:
                refused(reply, problem, {"file": "file"}, "file")
    status = 422 if problem else 200
    return render_template("passport_import.html", problem=problem, errors=problem.links, lines=lines,
                           columns=IMPORT_COLUMNS, schools=school_names()), status


IMPORT_HEADER = "holder_name,staff_number,username,school,type,number,issued_on,expires_on,kept_at"
IMPORT_COLUMNS = [  # the import page's help: each column of the header (passports' import_csv.py) in words
    ("holder_name", _l("As in the passport.")),
    ("staff_number", _l("Trips are matched to the passport by it: copy it exactly.")),
    ("username", _l("Optional: the holder's sign-in name, so that they see it under “My passports”.")),
    ("school", _l("Optional: the school's code, one of: %(codes)s.")),
    ("type", _l("因公护照, 公务护照, 往来港澳通行证 or 大陆居民往来台湾通行证 (or official_passport, service_passport, "
                "hk_macao_permit, taiwan_permit).")),
    ("number", _l("5 to 20 letters and digits; spaces and hyphens are ignored.")),
    ("issued_on", _l("Optional: as 2023-12-08.")),
    ("expires_on", _l("As 2033-12-07.")),
    ("kept_at", _l("Optional: for example, Safe 2, drawer 3.")),
]


@bp.get("/passports/import/template.csv")
@roles_required(CLERK)
def import_template() -> Response:
    """The import's header alone, as a file to fill in: with a byte order mark, so that Excel opens it as UTF-8
    (Chinese names stay readable) and saves it back as "CSV UTF-8"."""
    response = make_response("\ufeff" + IMPORT_HEADER + "\r\n")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="passports-import.csv"'
    return response


# -- one passport ---------------------------------------------------------------------------------------------------

def _page(passport: dict[str, Any], problem: Problem | None = None, status: int = 200,
          number: str | None = None) -> Response:
    problem = problem or Problem()
    on = today()
    body = render_template("passport.html", p=passport, problem=problem, errors=problem.links, number=number,
                           clerk=is_clerk(), schools=school_names(), today=on, trip_link=_trip_link(passport),
                           slips=has_any_role(g.user, CLERK, "admin") or passport.get("holder_username")
                           == g.user.username)
    response = make_response(body, status)
    if number is not None:  # the whole number: never kept by the browser or a proxy
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _trip_link(passport: dict[str, Any]) -> Any:
    """Where a loan's trip opens for this reader: its record for the office (who read every one), the holder's
    own trips for the holder; None for the clerk and a school's reviewers, whom the trip's record may not show
    (a link to "not found" would be worse than none)."""
    if has_any_role(g.user, *OFFICE):
        return lambda mobility_id: url_for("web_mobilities.record", mobility_id=mobility_id) if mobility_id else None
    if passport.get("holder_username") == g.user.username:
        return lambda mobility_id: url_for("web_mobilities.my_trips")
    return lambda mobility_id: None


@bp.get("/passports/<uuid:passport_id>")
@login_required
def passport(passport_id: Any) -> Response:
    return _page(_passport(passport_id))


@bp.post("/passports/<uuid:passport_id>/number")
@roles_required(CLERK)
def show_number(passport_id: Any) -> Response:
    """The clerk's look at the whole number: the service writes it to the audit log; this page shows it once."""
    reply = services.request("POST", f"passports/{passport_id}/number-views")
    if reply.status == 404:
        abort(404)
    if not reply.ok:
        problem = refused(reply, Problem(form="number"), {}, "show-number")
        return _page(_passport(passport_id), problem, 409)
    return _page(_passport(passport_id), number=str(reply.data["number"]))


SETTABLE = ("in_custody", "lost", "expired", "cancelled")  # handed_out only through a hand-out (the service's rule)
EDITED = ("kept_at", "status", "expires_on", "issued_on", "holder_username", "school", "note")


def _edit_page(passport: dict[str, Any], problem: Problem, status: int = 200) -> tuple[str, int]:
    return render_template("passport_edit.html", p=passport, problem=problem, errors=problem.links,
                           schools=school_names(), settable=SETTABLE), status


def _as_typed(passport: dict[str, Any]) -> dict[str, str]:
    """The stored values as the form shows them (dates as day, month and year)."""
    values = {name: str(passport.get(name) or "") for name in ("kept_at", "status", "holder_username", "school",
                                                               "note")}
    for name in ("expires_on", "issued_on"):
        if passport.get(name):
            on = date.fromisoformat(passport[name])
            values |= {f"{name}-day": str(on.day), f"{name}-month": str(on.month), f"{name}-year": str(on.year)}
    return values


@bp.route("/passports/<uuid:passport_id>/edit", methods=["GET", "POST"])
@roles_required(CLERK)
def edit(passport_id: Any) -> Any:
    """Where it is kept, its status (lost, expired, cancelled; back in the office), its dates, account, school and
    note, as of the version the clerk saw (a change in between is refused, nothing saved)."""
    passport = _passport(passport_id)
    problem = Problem(form="edit")
    if request.method == "GET":
        problem.values = _as_typed(passport)
        return _edit_page(passport, problem)
    form = request.form
    for name in ("kept_at", "status", "holder_username", "school", "note", "version"):
        problem.values[name] = form.get(name, "")
    body: dict[str, Any] = {"version": int(form["version"]) if form.get("version", "").isdecimal() else None,
                            "kept_at": form.get("kept_at", "").strip()}
    for name in ("holder_username", "school", "note"):
        body[name] = form.get(name, "").strip() or None
    status = form.get("status", "")
    if status != passport["status"]:
        if status not in SETTABLE:
            problem.add("status", _("Choose the status."))
        body["status"] = status
    expires = labelled_date("expires_on", problem)
    if expires is not None:
        body["expires_on"] = expires
    issued = _dated(problem, "issued_on")
    body["issued_on"] = issued or None
    if problem:
        return _edit_page(passport, problem, 422)
    reply = services.request("PATCH", f"passports/{passport_id}", json_body=body)
    if reply.status == 404:
        abort(404)
    if reply.ok:
        flash(_("The passport's details are saved."), "success")
        return redirect(url_for("web_passports.passport", passport_id=passport_id))
    fields = {name: name for name in EDITED} | {"expires_on": "expires_on-day", "issued_on": "issued_on-day"}
    refused(reply, problem, fields, "status")
    if reply.status == 409:  # changed meanwhile, or a rule of its loan: what was typed stays, against what is now
        passport = _passport(passport_id)
        problem.values["version"] = str(passport["version"])
    return _edit_page(passport, problem, 409 if reply.status == 409 else 422)


def _dated(problem: Problem, prefix: str) -> str | None:
    """A date typed as day, month and year, or None for "today" when all three are empty."""
    if not any(request.form.get(f"{prefix}-{part}", "").strip() for part in ("day", "month", "year")):
        return None
    return labelled_date(prefix, problem) or ""


@bp.post("/passports/<uuid:passport_id>/handout")
@roles_required(CLERK)
def handout(passport_id: Any) -> Any:
    """Hand the passport out for one of its holder's trips; the service refuses (in words) what it may not."""
    problem = Problem(form="handout")
    trip = request.form.get("trip", "")
    handed_to = request.form.get("handed_to", "").strip()
    problem.values.update(trip=trip, handed_to=request.form.get("handed_to", ""))
    if not trip:
        problem.add("handout-trip", _("Choose the trip the passport goes out for."))
    on = _dated(problem, "handout_on")
    if problem:
        return _page(_passport(passport_id), problem, 422)
    body: dict[str, Any] = {"mobility_id": trip}
    if on:
        body["on"] = on
    if handed_to:
        body["handed_to"] = handed_to
    reply = services.request("POST", f"passports/{passport_id}/handouts", json_body=body)
    if reply.status == 404:
        abort(404)
    if reply.ok:
        flash(_("The passport is handed out. Print the slip and have it signed."), "success")
        return redirect(url_for("web_passports.passport", passport_id=passport_id) + "#loans")
    refused(reply, problem, {"mobility_id": "handout-trip", "on": "handout_on-day", "handed_to": "handed_to"},
            "handout-trip")
    return _page(_passport(passport_id), problem, 409 if reply.status == 409 else 422)


@bp.post("/passports/<uuid:passport_id>/return")
@roles_required(CLERK)
def take_back(passport_id: Any) -> Any:
    """Record the passport's return to the office (any hold it caused is lifted by the service)."""
    problem = Problem(form="return")
    received = request.form.get("received_from", "").strip()
    problem.values["received_from"] = request.form.get("received_from", "")
    on = _dated(problem, "return_on")
    if problem:
        return _page(_passport(passport_id), problem, 422)
    body: dict[str, Any] = {}
    if on:
        body["on"] = on
    if received:
        body["received_from"] = received
    reply = services.request("POST", f"passports/{passport_id}/returns", json_body=body)
    if reply.status == 404:
        abort(404)
    if reply.ok:
        flash(_("The passport is back in the office."), "success")
        return redirect(url_for("web_passports.passport", passport_id=passport_id))
    refused(reply, problem, {"on": "return_on-day", "received_from": "received_from"}, "return_on-day")
    return _page(_passport(passport_id), problem, 409 if reply.status == 409 else 422)


@bp.get("/passports/<uuid:passport_id>/loans/<uuid:loan_id>/slip")
@login_required
def slip(passport_id: Any, loan_id: Any) -> Response:
    """The hand-out slip (PDF), in the language asked for (the reader's by default)."""
    lang = request.args.get("lang", "")
    if lang not in ("zh", "en"):
        lang = page_language()
    reply = services.get(f"passports/{passport_id}/loans/{loan_id}/slip", lang=lang)
    return services.file_response(reply, FILE_HEADERS)


# -- the audit log and the rules ------------------------------------------------------------------------------------

@bp.get("/passports/audit")
@roles_required(*AUDITORS)
def audit() -> str:
    action = request.args.get("action", "")
    if action not in passport_words.ACTIONS:
        action = ""
    reply = services.get("passport-audit", action=action, limit=500)
    if not reply.ok:
        raise services.ServiceDown("passports")
    register_reply = services.get("passports")
    names = {p["id"]: p for p in (register_reply.data or {}).get("items", [])} if register_reply.ok else {}
    return render_template("passport_audit.html", items=reply.data.get("items", []), action=action, names=names)


@bp.get("/passports/audit.csv")
@roles_required(*AUDITORS)
def audit_csv() -> Response:
    """The whole log as a CSV download (the service writes the export to the log itself)."""
    action = request.args.get("action", "")
    reply = services.get("passport-audit", format="csv", action=action if action in passport_words.ACTIONS else "")
    return services.file_response(reply, FILE_HEADERS)


@bp.route("/passports/settings", methods=["GET", "POST"])
@roles_required(*AUDITORS)
def settings() -> Any:
    """The custody rules: the hand-out window, the days to bring it back, the reminder, the school hold."""
    problem = Problem(form="settings")
    if request.method == "POST":
        body: dict[str, Any] = {"school_hold": request.form.get("school_hold") == "on"}
        for name in RULES:
            text = request.form.get(name, "").strip()
            problem.values[name] = request.form.get(name, "")
            if not text.isdecimal() or len(text) > 4:
                problem.add(name, _("%(field)s: enter a whole number of days.", field=RULE_LABELS[name]))
            else:
                body[name] = int(text)
        problem.values["school_hold"] = "on" if body["school_hold"] else ""
        if not problem:
            reply = services.request("PUT", "passport-settings", json_body=body)
            if reply.status == 403:
                abort(403)
            if reply.ok:
                flash(_("The custody rules are saved."), "success")
                return redirect(url_for("web_passports.settings"))
            for name, message in _errors(reply):
                label = RULE_LABELS.get(name)
                text = passport_words.explain(message)
                problem.add(name if name in RULE_LABELS else RULES[0],
                            _("%(field)s: %(message)s", field=label, message=text) if label else text)
            if not problem:
                problem.add(RULES[0], reply.explain(_("That could not be done; nothing changed.")))
        return render_template("passport_settings.html", rules=None, problem=problem, errors=problem.links,
                               labels=RULE_LABELS, names=RULES), 422
    reply = services.get("passport-settings")
    if not reply.ok:
        raise services.ServiceDown("passports")
    return render_template("passport_settings.html", rules=reply.data, problem=problem, errors=problem.links,
                           labels=RULE_LABELS, names=RULES)


for _name, _words in passport_words.NAMES.items():
    bp.add_app_template_global(_words, _name)
