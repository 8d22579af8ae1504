"""The selection of a student exchange's places (the placements service): the rounds (/selection: the ICD opens one
for a program whose window has closed), one round (its ranking with each score's parts in words and the inputs still
missing, the offers' states, the nominations), the coordinator's scoring grid (their school's candidates: interview
and bonus per row, one form), the allocation (a confirmation page, then the run; each run with who, when, why, its
result and the waiting lists per partner), nominating a student who accepted, recording a partner's answer given to
the office, a partner's acceptance letter passed on as an attachment, and the student's offers (/offers: accept, or
decline after a confirmation).

The service decides who may do what (a coordinator sees and scores their school's candidates only); these pages
send what was typed and show what it answered. A refusal is shown in words in an error summary linking to the field,
with nothing changed; a success redirects (post, redirect, get).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway.web import selection_words, services
from gateway.web.mobility_pages import Problem
from gateway.web.mobility_review import school_names
from gateway.web.security import csrf
from gateway.web.sessions import has_any_role, login_required, roles_required

bp = Blueprint("web_selection", __name__)
bp.before_request(csrf.protect)

OFFICE = ("icd_officer", "admin")
SCORERS = (*OFFICE, "school_coordinator")
READERS = (*SCORERS, "school_dean", "vice_president")  # as services/placements/access.py
TOPS = {"interview": Decimal(100), "bonus": Decimal(10)}  # services/placements/ranking.py check_entry's bounds
FILE_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options")


def is_office() -> bool:
    return has_any_role(g.user, *OFFICE)


@bp.app_context_processor
def _menu() -> dict[str, Any]:
    """The menu's link: the rounds for the staff who read them, the offers for a student."""
    user = g.get("user")
    if has_any_role(user, *READERS):
        return {"selection_menu": "rounds"}
    return {"selection_menu": "offers" if has_any_role(user, "student") else ""}


def _refusal(reply: services.Reply) -> str:
    return selection_words.explain(reply.message) or _("That could not be done; nothing changed.")


def _round(round_id: Any) -> dict[str, Any]:
    reply = services.get(f"selection-rounds/{round_id}")
    if reply.status == 403:
        abort(403)
    if not reply.ok or not isinstance(reply.data, dict):
        abort(404)
    return reply.data


def _partners(round_: dict[str, Any]) -> dict[str, str]:
    """Partner id → name, from the candidates' choices (the rows the reader sees)."""
    names: dict[str, str] = {}
    for row in round_.get("ranking") or ():
        for choice in row.get("choices") or ():
            names.setdefault(str(choice.get("partner_id")), str(choice.get("name") or ""))
    return names


# -- the rounds -----------------------------------------------------------------------------------------------------

def _closed_programs() -> list[dict[str, Any]]:
    """The student exchange programs whose window has closed: the ones a round may be opened for."""
    reply = services.get("programs")
    items = reply.data if reply.ok and isinstance(reply.data, list) else []
    now = datetime.now(UTC)
    found = []
    for p in items:
        if p.get("kind", "student_exchange") != "student_exchange" or not p.get("closes_at"):
            continue
        try:
            closes = datetime.fromisoformat(str(p["closes_at"]).replace("Z", "+00:00"))
        except ValueError:
            continue
        if (closes if closes.tzinfo else closes.replace(tzinfo=UTC)) < now:
            found.append(p)
    return found


def _rounds_page(problem: Problem | None = None, status: int = 200) -> tuple[str, int]:
    problem = problem or Problem()
    reply = services.get("selection-rounds")
    if reply.status == 403:
        abort(403)
    if not reply.ok:
        raise services.ServiceDown("placements")
    rounds = reply.data.get("items", [])
    live = {r["program_id"] for r in rounds if r.get("status") != "closed"}
    programs = [p for p in _closed_programs() if p.get("id") not in live] if is_office() else []
    return render_template("selection_rounds.html", rounds=rounds, programs=programs, problem=problem,
                           errors=problem.links, office=is_office()), status


@bp.get("/selection")
@roles_required(*READERS)
def rounds() -> tuple[str, int]:
    return _rounds_page()


@bp.post("/selection/rounds")
@roles_required(*OFFICE)
def open_round() -> Any:
    """Open the round of a program whose window has closed (the service checks the window and the one live round)."""
    problem = Problem(form="open")
    program_id = request.form.get("program_id", "").strip()
    days = request.form.get("offer_days", "").strip() or "7"
    problem.values = {"program_id": program_id, "offer_days": request.form.get("offer_days", "")}
    if not program_id:
        problem.add("program_id", _("Choose the program."))
    if not days.isdecimal() or not 1 <= int(days) <= 60:
        problem.add("offer_days", _("Days to answer an offer: enter a whole number from 1 to 60."))
    if problem:
        return _rounds_page(problem, 422)
    reply = services.request("POST", "selection-rounds", json_body={"program_id": program_id,
                                                                    "offer_days": int(days)})
    if reply.status == 403:
        abort(403)
    if not reply.ok:
        for field, messages in reply.field_errors().items():
            for message in messages:
                problem.add("offer_days" if field == "offer_days" else "program_id", selection_words.explain(message))
        if not problem:
            problem.add("program_id", _refusal(reply))
        return _rounds_page(problem, 409 if reply.status == 409 else 422)
    flash(_("The selection round is open: the coordinators can score their candidates."), "success")
    return redirect(url_for("web_selection.one_round", round_id=reply.data["id"]))


# -- one round ------------------------------------------------------------------------------------------------------

def _nominations(round_id: Any) -> list[dict[str, Any]]:
    reply = services.get("nominations", round_id=str(round_id))
    return list(reply.data.get("items", [])) if reply.ok and isinstance(reply.data, dict) else []


def _round_page(round_id: Any, problem: Problem | None = None, status: int = 200) -> tuple[str, int]:
    problem = problem or Problem()
    round_ = _round(round_id)
    nominations = _nominations(round_id)
    live = {n["application_id"] for n in nominations if n.get("status") in ("nominated", "approved")}
    # the 差额公示's link shows once there is a list to read (the office always has it: it publishes from there)
    listed = services.get(f"selection-rounds/{round_id}/publicity").ok
    return render_template("selection_round.html", r=round_, nominations=nominations, nominated=live, listed=listed,
                           partners=_partners(round_), schools=school_names(), problem=problem, errors=problem.links,
                           office=is_office(), scorer=has_any_role(g.user, *SCORERS)), status


@bp.get("/selection/rounds/<uuid:round_id>")
@roles_required(*READERS)
def one_round(round_id: Any) -> tuple[str, int]:
    return _round_page(round_id)


# -- the scoring grid -----------------------------------------------------------------------------------------------

def _entered(row: dict[str, Any], criterion: str) -> str:
    """A cell's current value as the grid shows it: blank when not entered (a bonus of 0 shows blank too)."""
    if criterion in (row.get("missing") or ()):
        return ""
    value = (row.get("parts") or {}).get(criterion)
    if value is None or (criterion == "bonus" and Decimal(str(value)) == 0):
        return ""
    return str(value)


def _grid_page(round_: dict[str, Any], problem: Problem, status: int = 200) -> tuple[str, int]:
    rows = sorted(round_.get("ranking") or (), key=lambda r: (str(r.get("name")), r["application_id"]))
    if not problem.values:
        problem.values = {f"{c}-{row['application_id']}": _entered(row, c) for row in rows for c in TOPS}
    return render_template("selection_scores.html", r=round_, rows=rows, problem=problem, errors=problem.links,
                           schools=school_names(), bonus=bool((round_.get("formula") or {}).get("bonus", True))), status


def _typed(text: str, criterion: str) -> Decimal | None:
    """A cell as typed ("85", "7.5", "85,5"), None when it is not a number within the criterion's bounds."""
    try:
        value = Decimal(text.replace(",", ".").replace("，", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or not Decimal(0) <= value <= TOPS[criterion] or value.as_tuple().exponent < -2:
        return None
    return value


@bp.route("/selection/rounds/<uuid:round_id>/scores", methods=["GET", "POST"])
@roles_required(*SCORERS)
def scores(round_id: Any) -> Any:
    """The grid: one row per candidate the reader may score, interview and bonus; only changed cells are sent."""
    round_ = _round(round_id)
    problem = Problem(form="scores")
    if request.method == "GET":
        return _grid_page(round_, problem)
    rows = sorted(round_.get("ranking") or (), key=lambda r: (str(r.get("name")), r["application_id"]))
    cells = []
    for row in rows:
        for criterion, top in TOPS.items():
            name = f"{criterion}-{row['application_id']}"
            text = request.form.get(name, "").strip()
            problem.values[name] = request.form.get(name, "")
            if name not in request.form or text == _entered(row, criterion):
                continue
            if not text:
                if _entered(row, criterion):
                    problem.add(name, _("%(criterion)s, %(name)s: a score once entered cannot be emptied; enter 0 "
                                        "instead.", criterion=selection_words.part(criterion), name=row["name"]))
                continue
            value = _typed(text, criterion)
            if value is None:
                problem.add(name, _("%(criterion)s, %(name)s: enter a number from 0 to %(top)s, with at most 2 "
                                    "decimals.", criterion=selection_words.part(criterion), name=row["name"],
                                    top=int(top)))
                continue
            if _entered(row, criterion) and value == Decimal(_entered(row, criterion)):
                continue
            cells.append({"application_id": row["application_id"], "criterion": criterion, "value": str(value)})
    if problem:
        return _grid_page(round_, problem, 422)
    if not cells:
        flash(_("Nothing was changed."), "success")
        return redirect(url_for("web_selection.scores", round_id=round_id))
    reply = services.request("PUT", f"selection-rounds/{round_id}/scores", json_body=cells)
    if reply.status == 403 and "school" not in reply.message:
        abort(403)
    if not reply.ok:
        anchor = f"{cells[0]['criterion']}-{cells[0]['application_id']}"
        for cell in cells:  # the service names the cell by its application id: the message goes to that cell
            if cell["application_id"] in reply.message:
                anchor = f"{cell['criterion']}-{cell['application_id']}"
                break
        problem.add(anchor, _refusal(reply))
        return _grid_page(round_, problem, 403 if reply.status == 403 else 422)
    flash(_("The scores are saved (%(n)d changed); the ranking follows them.", n=len(cells)), "success")
    return redirect(url_for("web_selection.scores", round_id=round_id))


# -- the allocation -------------------------------------------------------------------------------------------------

@bp.route("/selection/rounds/<uuid:round_id>/allocate", methods=["GET", "POST"])
@roles_required(*OFFICE)
def allocate(round_id: Any) -> Any:
    """A confirmation page first (what a run does); then the run, recorded with its inputs and result."""
    round_ = _round(round_id)
    problem = Problem(form="allocate")
    if request.method == "POST":
        reason = request.form.get("reason", "manual")
        reply = services.request("POST", f"selection-rounds/{round_id}/allocations",
                                 json_body={"reason": reason if reason in ("manual", "score_change") else "manual"})
        if reply.status == 403:
            abort(403)
        if reply.ok:
            flash(_("Allocation run %(n)d is done; the students with a new place are offered it.",
                    n=reply.data.get("number", 0)), "success")
            return redirect(url_for("web_selection.runs", round_id=round_id) + f"#run-{reply.data.get('number')}")
        problem.add("reason-manual", _refusal(reply))
    unscored = sum(1 for row in round_.get("ranking") or () if row.get("missing"))
    return render_template("selection_allocate.html", r=round_, unscored=unscored, problem=problem,
                           errors=problem.links), 422 if problem else 200


@bp.get("/selection/rounds/<uuid:round_id>/runs")
@roles_required(*OFFICE)
def runs(round_id: Any) -> str:
    """Every run, last first: who ran it, when and why, the result and the waiting lists per partner."""
    round_ = _round(round_id)
    reply = services.get(f"selection-rounds/{round_id}/allocations")
    if not reply.ok:
        abort(404)
    names = {row["application_id"]: row["name"] for row in round_.get("ranking") or ()}
    partners = _partners(round_)
    shown = []
    for run in reversed(reply.data.get("items", [])):
        result, inputs = run.get("result") or {}, run.get("inputs") or {}
        places = inputs.get("places") or {}
        assignment = result.get("assignment") or {}
        per_partner = []
        for partner_id in sorted(set(places) | set(result.get("waiting") or {}), key=lambda p: partners.get(p, p)):
            per_partner.append({
                "id": partner_id, "name": partners.get(partner_id, partner_id), "places": places.get(partner_id, 0),
                "placed": [names.get(a, a) for a, p in assignment.items() if p == partner_id],
                "waiting": [names.get(a, a) for a in (result.get("waiting") or {}).get(partner_id, [])]})
        shown.append({**run, "partners": per_partner,
                      "unplaced": [names.get(a, a) for a in result.get("unplaced") or ()],
                      "changed": len(result.get("changes") or ())})
    return render_template("selection_runs.html", r=round_, runs=shown)


# -- nominations ----------------------------------------------------------------------------------------------------

@bp.post("/selection/rounds/<uuid:round_id>/nominate")
@roles_required(*OFFICE)
def nominate(round_id: Any) -> Any:
    """Nominate a student who accepted their offer to that offer's partner; the partner's contact gets a link."""
    application_id = request.form.get("application_id", "").strip()
    reply = services.request("POST", "nominations", json_body={"round_id": str(round_id),
                                                               "application_id": application_id})
    if reply.status == 403:
        abort(403)
    if not reply.ok:
        problem = Problem(form="nominate")
        problem.add(f"nominate-{application_id}" if application_id else "nominations", _refusal(reply))
        return _round_page(round_id, problem, 409 if reply.status == 409 else 422)
    flash(_("%(name)s is nominated to %(partner)s; the partner's contact is sent a link to answer.",
            name=reply.data.get("applicant_name", ""), partner=reply.data.get("partner_name", "")), "success")
    return redirect(url_for("web_selection.one_round", round_id=round_id) + "#nominations")


@bp.route("/selection/nominations/<uuid:nomination_id>/answer", methods=["GET", "POST"])
@roles_required(*OFFICE)
def answer(nomination_id: Any) -> Any:
    """The ICD records the answer the partner gave the office (a refusal gives the place back to the allocation)."""
    reply = services.get(f"nominations/{nomination_id}")
    if not reply.ok or not isinstance(reply.data, dict):
        abort(404)
    nomination = reply.data
    problem = Problem(form="answer")
    if request.method == "POST":
        decision = request.form.get("decision", "")
        comment = request.form.get("comment", "").strip()
        problem.values = {"decision": decision, "comment": request.form.get("comment", "")}
        if decision not in selection_words.DECISIONS:
            problem.add("decision-approve", _("Choose the partner's answer."))
        if len(comment) > 2000:
            problem.add("comment", _("Keep the comment within 2000 characters."))
        if not problem:
            version = request.form.get("version", "")
            sent = services.request("POST", f"nominations/{nomination_id}/answer", json_body={
                "decision": decision, "comment": comment or None,
                "version": int(version) if version.isdecimal() else nomination.get("version")})
            if sent.status == 403:
                abort(403)
            if sent.ok:
                flash(_("The partner's answer is recorded."), "success")
                return redirect(url_for("web_selection.one_round", round_id=nomination["round_id"]) + "#nominations")
            problem.add("decision-approve", _refusal(sent))
            fresh = services.get(f"nominations/{nomination_id}")
            nomination = fresh.data if fresh.ok else nomination
    return render_template("selection_answer.html", n=nomination, problem=problem, errors=problem.links,
                           decisions=selection_words.DECISIONS), 422 if problem else 200


@bp.get("/selection/nominations/<uuid:nomination_id>/letter")
@login_required
def letter(nomination_id: Any) -> Response:
    """The partner's acceptance letter as the service sends it (an attachment): the service lets the office, the
    student's school staff and the student have it; anyone else, or no letter, is a 404."""
    return services.file_response(services.get(f"nominations/{nomination_id}/letter"), FILE_HEADERS)


# -- the student's offers -------------------------------------------------------------------------------------------

def _mine() -> list[dict[str, Any]]:
    reply = services.get("offers", mine="true")
    if not reply.ok:
        raise services.ServiceDown("placements")
    return list(reply.data.get("items", []))


def _offer(offer_id: Any) -> dict[str, Any]:
    found = next((o for o in _mine() if o["id"] == str(offer_id)), None)
    if found is None:
        abort(404)  # another's offer looks like one that does not exist
    return found


def days_left(deadline: str | None) -> int | None:
    """Whole days until the deadline (0 on its last day), None when it has passed or is unknown."""
    try:
        at = datetime.fromisoformat(str(deadline).replace("Z", "+00:00"))
    except ValueError:
        return None
    left = (at if at.tzinfo else at.replace(tzinfo=UTC)) - datetime.now(UTC)
    return left.days if left.total_seconds() > 0 else None


def _offers_page(problem: Problem | None = None, status: int = 200) -> tuple[str, int]:
    problem = problem or Problem()
    return render_template("offers.html", offers=_mine(), problem=problem, errors=problem.links,
                           days_left=days_left), status


@bp.get("/offers")
@login_required
def offers() -> tuple[str, int]:
    return _offers_page()


def _answer_offer(offer_id: Any, accept: bool) -> Any:
    version = request.form.get("version", "")
    reply = services.request("POST", f"offers/{offer_id}/{'accept' if accept else 'decline'}",
                             json_body={"version": int(version) if version.isdecimal() else 0})
    if reply.status == 404:
        abort(404)
    if reply.ok:
        flash(_("You accepted the place at %(partner)s.", partner=reply.data.get("partner_name", "")) if accept else
              _("You declined the place at %(partner)s.", partner=reply.data.get("partner_name", "")), "success")
        return redirect(url_for("web_selection.offers") + f"#offer-{offer_id}")
    problem = Problem(form="offer")
    problem.add(f"offer-{offer_id}", _refusal(reply))
    return _offers_page(problem, 409 if reply.status == 409 else 422)


@bp.post("/offers/<uuid:offer_id>/accept")
@login_required
def accept(offer_id: Any) -> Any:
    return _answer_offer(offer_id, True)


@bp.route("/offers/<uuid:offer_id>/decline", methods=["GET", "POST"])
@login_required
def decline(offer_id: Any) -> Any:
    """Declining gives the place away for good: a confirmation page first."""
    if request.method == "POST":
        return _answer_offer(offer_id, False)
    return render_template("offer_decline.html", o=_offer(offer_id))


for _name, _words in selection_words.NAMES.items():
    bp.add_app_template_global(_words, _name)
