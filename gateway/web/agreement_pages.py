"""The office's agreements with partners and the places they give (the placements service): the register
(/agreements, with its filters), a new agreement and its edit for the ICD and admins (the partner, type, status,
dates, a few rows of terms and of contacts), one agreement (its terms in words, the signed scan's upload and
download), the EWP-shaped export, and a program's places per partner (/places: set by the office or taken from the
agreements).

Every member of staff reads these pages; only the ICD and admins see the forms (the service decides, these pages
send what was typed and show what it answered). A refusal is shown in words in an error summary linking to the
field, with nothing changed; a success redirects (post, redirect, get).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.web import agreement_words, services
from gateway.web.mobility_pages import Problem, posted_date
from gateway.web.security import csrf
from gateway.web.sessions import has_any_role, roles_required

bp = Blueprint("web_agreements", __name__)
bp.before_request(csrf.protect)

OFFICE = ("icd_officer", "admin")
READERS = (*OFFICE, "school_coordinator", "school_dean", "vice_president")  # as services/placements/access.py
TERM_ROWS = 3  # blank rows of terms on the form ("add another" without a script: a fixed number of rows)
CONTACT_ROWS = 2
EXPIRING = (30, 90, 180, 365)  # the register's "expiring within" choices, in days
FILE_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options")
TERM_TEXT = ("places_per_year", "total_months", "subject_codes", "languages", "academic_years")
CONTACT_FIELDS = ("name", "email", "phone", "role")
DATES = ("signed_on", "valid_from", "valid_to")


def is_office() -> bool:
    return has_any_role(g.user, *OFFICE)


@bp.app_context_processor
def _menu() -> dict[str, Any]:
    """The menu's link to the register for the staff who read it."""
    return {"agreements_menu": has_any_role(g.get("user"), *READERS)}


def refused(reply: services.Reply, problem: Problem, fields: dict[str, str], anchor: str) -> Problem:
    """A refusal on the page: each 422 error at the input its field names (`fields`: API field → input id), anything
    else (a 409's or 415's reason) at `anchor`; every message in the reader's words."""
    found = reply.field_errors()
    for name, messages in found.items():
        for message in messages:
            problem.add(fields.get(name, anchor), agreement_words.explain(message))
    if not found:
        problem.add(anchor, agreement_words.explain(reply.message) or _("That could not be done; nothing changed."))
    return problem


def _agreement(agreement_id: Any) -> dict[str, Any]:
    reply = services.get(f"agreements/{agreement_id}")
    if reply.status == 403:
        abort(403)
    if not reply.ok or not isinstance(reply.data, dict):
        abort(404)
    return reply.data


def _partners() -> list[dict[str, Any]]:
    """The partners the applications service knows (the programs' partners), by name."""
    reply = services.get("partners")
    return list(reply.data) if reply.ok and isinstance(reply.data, list) else []


# -- the register ---------------------------------------------------------------------------------------------------

@bp.get("/agreements")
@roles_required(*READERS)
def register() -> str:
    """The register with its filters (GET: a bookmarkable search)."""
    chosen = {"partner": request.args.get("partner", "").strip()[:200], "status": request.args.get("status", ""),
              "type": request.args.get("type", ""), "expiring": request.args.get("expiring", "")}
    if chosen["status"] not in agreement_words.STATUSES:
        chosen["status"] = ""
    if chosen["type"] not in agreement_words.TYPES:
        chosen["type"] = ""
    if chosen["expiring"] not in {str(n) for n in EXPIRING}:
        chosen["expiring"] = ""
    params: dict[str, Any] = {k: v for k, v in (("partner", chosen["partner"]), ("status", chosen["status"]),
                                                ("type", chosen["type"])) if v}
    if chosen["expiring"]:
        params["expiring_within"] = int(chosen["expiring"])
    params["limit"] = 200
    reply = services.get("agreements", **params)
    if reply.status == 403:
        abort(403)
    if not reply.ok:
        raise services.ServiceDown("placements")
    items = reply.data.get("items", [])
    return render_template("agreement_list.html", items=items, chosen=chosen, filtered=any(chosen.values()),
                           expiring=EXPIRING, office=is_office(), places=_places_per_year)


def _places_per_year(agreement: dict[str, Any]) -> dict[str, int]:
    """Outgoing and incoming places a year, summed over the agreement's terms."""
    found = {"outgoing": 0, "incoming": 0}
    for term in agreement.get("terms") or ():
        found[term.get("direction", "outgoing")] = found.get(term.get("direction", "outgoing"), 0) + int(
            term.get("places_per_year") or 0)
    return found


# -- a new agreement and its edit -----------------------------------------------------------------------------------

def _as_typed(agreement: dict[str, Any]) -> dict[str, str]:
    """The stored agreement as the form shows it (dates as day, month, year; each term and contact a row)."""
    values = {"partner": agreement.get("partner_id") or "other", "partner_name": agreement.get("partner_name", ""),
              "partner_country": agreement.get("partner_country", ""), "type": agreement.get("type", ""),
              "status": agreement.get("status", ""), "version": str(agreement.get("version", ""))}
    for name in DATES:
        if agreement.get(name):
            year, month, day = agreement[name].split("-")
            values |= {f"{name}-day": str(int(day)), f"{name}-month": str(int(month)), f"{name}-year": year}
    for n, term in enumerate(agreement.get("terms") or ()):
        values |= {f"terms-{n}-direction": term.get("direction", ""),
                   f"terms-{n}-mobility_type": term.get("mobility_type", ""),
                   f"terms-{n}-places_per_year": str(term.get("places_per_year", "")),
                   f"terms-{n}-total_months": str(term.get("total_months", "")),
                   f"terms-{n}-subject_codes": ", ".join(term.get("subject_codes") or ()),
                   f"terms-{n}-languages": ", ".join(f"{x['language']} {x['cefr']}" for x in term.get("languages")
                                                     or ()),
                   f"terms-{n}-academic_years": ", ".join(term.get("academic_years") or ())}
        for level in term.get("degree_levels") or ():
            values[f"terms-{n}-degree-{level}"] = "on"
    for n, contact in enumerate(agreement.get("contacts") or ()):
        values |= {f"contacts-{n}-{k}": str(contact.get(k) or "") for k in CONTACT_FIELDS}
    return values


def _rows(agreement: dict[str, Any] | None) -> tuple[int, int]:
    """How many rows of terms and contacts the form shows: the stored ones and a few blank ones."""
    if agreement is None:
        return TERM_ROWS, CONTACT_ROWS
    return (len(agreement.get("terms") or ()) + 2, len(agreement.get("contacts") or ()) + 1)


def _form_page(agreement: dict[str, Any] | None, problem: Problem, status: int = 200) -> tuple[str, int]:
    terms, contacts = _rows(agreement)
    terms = max(terms, int(problem.values.get("term_rows") or 0))
    contacts = max(contacts, int(problem.values.get("contact_rows") or 0))
    statuses = ["draft", "signed"] if agreement is None else _statuses(agreement["status"])
    partners = [(p["id"], f"{p.get('name', '')} · {agreement_words.country(p.get('country'))}")
                for p in _partners()]
    return render_template("agreement_form.html", a=agreement, problem=problem, errors=problem.links,
                           partner_options=partners, status_options=[(s, agreement_words.status(s)) for s in statuses],
                           term_rows=terms, contact_rows=contacts), status


def _statuses(current: str) -> list[str]:
    """The statuses an agreement may go to from `current` (services/placements/agreements.py TRANSITIONS)."""
    return [current] + {"draft": ["signed", "terminated"], "signed": ["expired", "terminated"],
                        "expired": ["signed", "terminated"]}.get(current, [])


LANGUAGE = re.compile(r"([A-Za-z]{2})\s*[-: ]?\s*([ABCabc][12])")


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;，；、]+", text.strip()) if part]


def _term(n: int, problem: Problem) -> dict[str, Any] | None:
    """Row n of the terms as the API's term; None when the row was left blank."""
    form = request.form
    prefix = f"terms-{n}-"
    typed = {name: form.get(prefix + name, "").strip() for name in ("direction", "mobility_type", *TERM_TEXT)}
    levels = [level for level in agreement_words.DEGREE_LEVELS if form.get(f"{prefix}degree-{level}") == "on"]
    for name in typed:
        problem.values[prefix + name] = form.get(prefix + name, "")
    for level in levels:
        problem.values[f"{prefix}degree-{level}"] = "on"
    if not any(typed.values()) and not levels:
        return None
    row = _("Terms, row %(n)d", n=n + 1)
    term: dict[str, Any] = {"direction": typed["direction"], "mobility_type": typed["mobility_type"],
                            "degree_levels": levels, "subject_codes": _split(typed["subject_codes"]),
                            "academic_years": _split(typed["academic_years"])}
    if typed["direction"] not in agreement_words.DIRECTIONS:
        problem.add(prefix + "direction", _("%(field)s: choose who goes where.", field=row))
    if typed["mobility_type"] not in agreement_words.MOBILITY_TYPES:
        problem.add(prefix + "mobility_type", _("%(field)s: choose the kind of stay.", field=row))
    for name in ("places_per_year", "total_months"):
        text = typed[name] or ("0" if name == "total_months" else "")
        if not text.isdecimal() or len(text) > 5:
            problem.add(prefix + name, _("%(field)s: enter a whole number.", field=row))
        else:
            term[name] = int(text)
    languages = []
    for part in re.split(r"[,;，；、]+", typed["languages"]):
        if not part.strip():
            continue
        found = LANGUAGE.fullmatch(part.strip())
        if found is None:
            problem.add(prefix + "languages", _("%(field)s: write each language as its code and level, e.g. de B2.",
                                                field=row))
            break
        languages.append({"language": found[1].lower(), "cefr": found[2].upper()})
    term["languages"] = languages
    return term


def _contact(n: int, problem: Problem) -> dict[str, Any] | None:
    prefix = f"contacts-{n}-"
    typed = {name: request.form.get(prefix + name, "").strip() for name in CONTACT_FIELDS}
    for name in CONTACT_FIELDS:
        problem.values[prefix + name] = request.form.get(prefix + name, "")
    if not any(typed.values()):
        return None
    if not typed["name"]:
        problem.add(prefix + "name", _("Contacts, row %(n)d: enter the person's name.", n=n + 1))
    return {"name": typed["name"], **{k: typed[k] or None for k in ("email", "phone", "role")}}


def _posted(problem: Problem, partners: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The form as the API's body and the form's row of each term and contact sent; the page's own checks
    noted in `problem`."""
    form = request.form
    for name in ("partner", "partner_name", "partner_country", "type", "status", "version", "term_rows",
                 "contact_rows"):
        problem.values[name] = form.get(name, "")
    body: dict[str, Any] = {"type": form.get("type", ""), "status": form.get("status", "")}
    chosen = form.get("partner", "")
    known = next((p for p in partners if p.get("id") == chosen), None)
    if known is not None:
        body |= {"partner_id": known["id"], "partner_name": known.get("name", ""),
                 "partner_country": known.get("country", "")}
    elif chosen == "other":
        body |= {"partner_id": None, "partner_name": form.get("partner_name", "").strip(),
                 "partner_country": form.get("partner_country", "").strip().upper()}
        if not body["partner_name"]:
            problem.add("partner_name", _("Enter the partner's name."))
        if not re.fullmatch(r"[A-Z]{2}", body["partner_country"]):
            problem.add("partner_country", _("Enter the partner's country as its two-letter code, e.g. DE."))
    else:
        problem.add("partner", _("Choose the partner."))
    if body["type"] not in agreement_words.TYPES:
        problem.add("type", _("Choose the type of agreement."))
    for name in DATES:
        if any(form.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")):
            body[name] = _dated(name, problem)
        else:
            body[name] = None
            for part in ("day", "month", "year"):
                problem.values[f"{name}-{part}"] = ""
    rows = min(int(form.get("term_rows", "0") or 0) if form.get("term_rows", "").isdecimal() else TERM_ROWS, 50)
    terms = [(n, _term(n, problem)) for n in range(rows)]
    body["terms"] = [t for _n, t in terms if t is not None]
    rows = min(int(form.get("contact_rows", "0") or 0) if form.get("contact_rows", "").isdecimal()
               else CONTACT_ROWS, 20)
    contacts = [(n, _contact(n, problem)) for n in range(rows)]
    body["contacts"] = [c for _n, c in contacts if c is not None]
    # the n-th term or contact sent is the form's row shown here (blank rows are skipped): a refusal finds its row
    filled = {"terms": [n for n, t in terms if t is not None], "contacts": [n for n, c in contacts if c is not None]}
    return body, filled


def _dated(name: str, problem: Problem) -> str | None:
    found = Problem()
    on = posted_date(name, found)
    problem.values.update(found.values)
    label = {"signed_on": _("Signed on"), "valid_from": _("Valid from"), "valid_to": _("Valid to")}[name]
    for input_id, messages in found.fields.items():
        for message in messages:
            problem.add(input_id, _("%(field)s: %(message)s", field=label, message=message))
    return on


FIELDS = {"partner_id": "partner", "partner_name": "partner_name", "partner_country": "partner_country",
          "type": "type", "status": "status"} | {name: f"{name}-day" for name in DATES}


def _refused(reply: services.Reply, problem: Problem, filled: dict[str, list[int]]) -> None:
    """The service's refusal at the form's inputs: "terms.0.places_per_year" (dotted or nested) reaches the row the
    first term sent came from, with the row named in the message; the agreement's own fields their inputs."""
    found = reply.field_errors()
    for key, messages in found.items():
        parts = key.split(".")
        target, label = FIELDS.get(parts[0], "partner"), None
        if parts[0] in filled and len(parts) >= 2 and parts[1].isdecimal() and int(parts[1]) < len(filled[parts[0]]):
            row = filled[parts[0]][int(parts[1])]
            name = parts[2] if len(parts) > 2 else ""
            if parts[0] == "terms":
                label = _("Terms, row %(n)d", n=row + 1)
                target = f"terms-{row}-{name if name in ('mobility_type', *TERM_TEXT) else 'direction'}"
            else:
                label = _("Contacts, row %(n)d", n=row + 1)
                target = f"contacts-{row}-{name if name in CONTACT_FIELDS else 'name'}"
        for message in messages:
            words = agreement_words.explain(message)
            problem.add(target, _("%(field)s: %(message)s", field=label, message=words) if label else words)
    if not found:
        refused(reply, problem, {}, "partner")


@bp.route("/agreements/new", methods=["GET", "POST"])
@roles_required(*OFFICE)
def new() -> Any:
    """Enter an agreement: the page checks what it can as typed; the service checks the rest."""
    problem = Problem(form="agreement")
    if request.method == "GET":
        return _form_page(None, problem)
    body, filled = _posted(problem, _partners())
    if body["status"] not in ("draft", "signed"):
        problem.add("status", _("Choose the status."))
    if problem:
        return _form_page(None, problem, 422)
    reply = services.request("POST", "agreements", json_body=body)
    if reply.status == 403:
        abort(403)
    if reply.ok:
        flash(_("The agreement is entered in the register."), "success")
        return redirect(url_for("web_agreements.agreement", agreement_id=reply.data["id"]))
    _refused(reply, problem, filled)
    return _form_page(None, problem, 409 if reply.status == 409 else 422)


@bp.route("/agreements/<uuid:agreement_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICE)
def edit(agreement_id: Any) -> Any:
    """Change an agreement as of the version the ICD saw (a change in between is refused, nothing saved)."""
    agreement = _agreement(agreement_id)
    problem = Problem(form="agreement")
    if request.method == "GET":
        problem.values = _as_typed(agreement)
        return _form_page(agreement, problem)
    body, filled = _posted(problem, _partners())
    if body["status"] not in _statuses(agreement["status"]):
        problem.add("status", _("Choose the status."))
    if problem:
        return _form_page(agreement, problem, 422)
    version = request.form.get("version", "")
    body["version"] = int(version) if version.isdecimal() else None
    if body["status"] == agreement["status"]:
        del body["status"]  # unchanged: the service checks a status change only
    reply = services.request("PATCH", f"agreements/{agreement_id}", json_body=body)
    if reply.status == 404:
        abort(404)
    if reply.ok:
        flash(_("The agreement is saved."), "success")
        return redirect(url_for("web_agreements.agreement", agreement_id=agreement_id))
    _refused(reply, problem, filled)
    if reply.status in (409, 412):  # changed meanwhile: what was typed stays, against what is now
        agreement = _agreement(agreement_id)
        problem.values["version"] = str(agreement["version"])
    return _form_page(agreement, problem, 409 if reply.status in (409, 412) else 422)


# -- one agreement --------------------------------------------------------------------------------------------------

def _page(agreement: dict[str, Any], problem: Problem | None = None, status: int = 200) -> tuple[str, int]:
    problem = problem or Problem()
    return render_template("agreement.html", a=agreement, problem=problem, errors=problem.links,
                           office=is_office(), places=_places_per_year(agreement)), status


@bp.get("/agreements/<uuid:agreement_id>")
@roles_required(*READERS)
def agreement(agreement_id: Any) -> tuple[str, int]:
    return _page(_agreement(agreement_id))


@bp.post("/agreements/<uuid:agreement_id>/document")
@roles_required(*OFFICE)
def upload(agreement_id: Any) -> Any:
    """The signed scan (PDF; the service checks it by its content)."""
    problem = Problem(form="document")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        problem.add("document-file", _("Choose the signed agreement's PDF file."))
        return _page(_agreement(agreement_id), problem, 422)
    reply = services.request("PUT", f"agreements/{agreement_id}/document",
                             files=("file", upload.filename, upload.read(), upload.mimetype or "application/pdf"))
    if reply.status == 404:
        abort(404)
    if reply.ok:
        flash(_("The signed agreement is kept."), "success")
        return redirect(url_for("web_agreements.agreement", agreement_id=agreement_id) + "#document")
    refused(reply, problem, {"file": "document-file"}, "document-file")
    for i, (href, message) in enumerate(problem.links):  # the service's words about the file, in the reader's
        problem.links[i] = (href, agreement_words.explain(message))
    return _page(_agreement(agreement_id), problem, 413 if reply.status == 413 else 422)


@bp.get("/agreements/<uuid:agreement_id>/document")
@roles_required(*READERS)
def document(agreement_id: Any) -> Response:
    return services.file_response(services.get(f"agreements/{agreement_id}/document"), FILE_HEADERS)


@bp.get("/agreements/export.json")
@roles_required(*READERS)
def export() -> Response:
    """The register in EWP's IIA shape (the signed agreements, or all), as a download."""
    status = request.args.get("status", "")
    reply = services.get("agreements/export", **({"status": status} if status in agreement_words.STATUSES else {}))
    response = services.file_response(reply, FILE_HEADERS)
    if "Content-Disposition" not in response.headers:  # the service answers JSON: the browser saves it
        response.headers["Content-Type"] = "application/json"
        response.headers["Content-Disposition"] = 'attachment; filename="agreements-ewp.json"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- places per program ---------------------------------------------------------------------------------------------

def _programs() -> list[dict[str, Any]]:
    """The programs whose places are per partner: the student exchanges."""
    reply = services.get("programs")
    items = reply.data if reply.ok and isinstance(reply.data, list) else []
    return [p for p in items if p.get("kind", "student_exchange") == "student_exchange"]


def _places_page(program_id: str, problem: Problem | None = None, status: int = 200) -> tuple[str, int]:
    problem = problem or Problem()
    programs = _programs()
    places = None
    if program_id:
        reply = services.get("places", program_id=program_id)
        if reply.status == 403:
            abort(403)
        if reply.status in (404, 422):
            problem.add("program_id", agreement_words.explain(reply.message) if reply.status == 404
                        else _("Choose a program."))
        elif not reply.ok:
            raise services.ServiceDown("placements")
        else:
            places = reply.data
    return render_template("places.html", programs=programs, program_id=program_id, places=places,
                           problem=problem, errors=problem.links, office=is_office()), status


@bp.get("/places")
@roles_required(*READERS)
def places() -> tuple[str, int]:
    """Pick a program; its partners with their places and where each number came from."""
    return _places_page(request.args.get("program_id", "").strip()[:36])


@bp.post("/places/<uuid:program_id>")
@roles_required(*OFFICE)
def set_places(program_id: Any) -> Any:
    """The office's numbers: each partner whose number was changed is set (source "office")."""
    reply = services.get("places", program_id=str(program_id))
    if not reply.ok:
        abort(404)
    problem = Problem(form="places")
    changes = {}
    for item in reply.data.get("items", []):
        name = f"places-{item['partner_id']}"
        text = request.form.get(name, "").strip()
        problem.values[name] = request.form.get(name, "")
        if text == ("" if item.get("places") is None else str(item["places"])):
            continue
        if not text.isdecimal() or int(text) > 1000:
            problem.add(name, _("%(field)s: enter a whole number of places from 0 to 1000.",
                                field=item.get("partner_name", "")))
        else:
            changes[item["partner_id"]] = int(text)
    if not problem:
        for partner_id, count in changes.items():
            answer = services.request("PUT", f"places/{program_id}/{partner_id}", json_body={"places": count})
            if answer.status == 403:
                abort(403)
            if not answer.ok:
                refused(answer, problem, {"places": f"places-{partner_id}"}, f"places-{partner_id}")
    if problem:
        return _places_page(str(program_id), problem, 422)
    flash(_("The places are saved.") if changes else _("Nothing was changed."), "success")
    return redirect(url_for("web_agreements.places", program_id=program_id))


@bp.post("/places/<uuid:program_id>/from-agreements")
@roles_required(*OFFICE)
def from_agreements(program_id: Any) -> Any:
    """Count the places from the signed agreements; the office's own numbers are kept unless replaced."""
    replace = request.form.get("replace") == "on"
    reply = services.request("POST", f"places/{program_id}/from-agreements",
                             params={"replace": "true" if replace else "false"})
    if reply.status == 403:
        abort(403)
    if not reply.ok:
        problem = refused(reply, Problem(form="recount"), {}, "recount")
        return _places_page(str(program_id), problem, 422)
    kept = len((reply.data or {}).get("kept") or ())
    flash(_("The places are taken from the agreements.") if not kept else
          _("The places are taken from the agreements; %(n)d set by the office were kept.", n=kept), "success")
    return redirect(url_for("web_agreements.places", program_id=program_id))


for _name, _words in agreement_words.NAMES.items():
    bp.add_app_template_global(_words, _name)
