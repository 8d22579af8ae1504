"""The office's "After approval" settings page (/admin/after-approval), kept as data by the mobilities service:
the report rules per kind and staff-trip category (the shortest report, the photos, the days to hand it in, the
days it stays published, an attendee list) and the school-hold switches (off by default) that hold a whole school
while one of its reports is overdue.

For the ICD and admins. The page sends what was typed to the service and shows what it said, a refusal as a
GOV.UK error summary linking to the field.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from gateway.web import kinds, services
from gateway.web.mobility_review import school_names
from gateway.web.security import csrf
from gateway.web.sessions import roles_required
from gateway.web.widgets import page_language, words

bp = Blueprint("web_mobility_admin", __name__, url_prefix="/admin")
bp.before_request(csrf.protect)

OFFICE = ("icd_officer", "admin")
ANY = "*"  # the service's category for "every category of the kind"
NUMBERS = ("min_chars", "photos", "due_days", "publish_days")
LABELS = {"min_chars": _l("Shortest report (characters)"), "photos": _l("Photos required"),
          "due_days": _l("Days to hand it in"), "publish_days": _l("Days it stays published"),
          "attendee_list": _l("An attendee list is required"), "kind": _l("Kind"), "category": _l("Category")}
SERVICE_MESSAGES = [
    _l("Only the office (ICD) changes these settings."),
    _l("Must be greater than or equal to 0 and less than or equal to 100000."),
    _l("Must be greater than or equal to 0 and less than or equal to 50."),
    _l("Must be greater than or equal to 1 and less than or equal to 365."),
    _l("Must be greater than or equal to 0 and less than or equal to 365."),
]
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}|\*")


def _typed(value: str | None) -> Any:
    """A number as the API takes it: empty is none, digits a number; anything else goes as typed (the service
    refuses it, named by its label)."""
    text = (value or "").strip()
    if not text:
        return None
    return int(text) if re.fullmatch(r"\d{1,9}", text) else text


def _categories(kind: str) -> list[tuple[str, str]]:
    """A kind's categories (its form's `category` choices) in the reader's words; none for a kind without."""
    found = kinds.get(kind)
    spec = next((s for s in (found.fields if found else []) if s["name"] == "category"), None)
    choices = (spec or {}).get("choices") or []
    return [(c["value"], words(c.get("labels"), page_language(), c["value"])) for c in choices]


def rows(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per kind (every category) and per category of a kind that has them; a category the office set no
    rule for shows the kind's, marked as inherited."""
    stored = {(r["kind"], r["category"]): r for r in rules}
    shown = []
    for kind in sorted({r["kind"] for r in rules}):
        general = stored.get((kind, ANY))
        if general is not None:
            shown.append({**general, "category_words": _("Every category") if _categories(kind) else "",
                          "inherited": False})
        for code, label in _categories(kind):
            own = stored.get((kind, code))
            base = own or general or {}
            shown.append({**base, "kind": kind, "category": code, "category_words": label, "inherited": own is None})
    return shown


def _rule_body(form: Any) -> dict[str, Any]:
    return {"kind": form.get("kind", ""), "category": form.get("category", ""),
            **{name: _typed(form.get(name)) for name in NUMBERS}, "attendee_list": form.get("attendee_list") == "on"}


def _by_field(reply: services.Reply) -> dict[str, list[str]]:
    """The 422's errors by the rule's field (`rules.0.photos` → `photos`)."""
    grouped: dict[str, list[str]] = {}
    for key, messages in reply.field_errors().items():
        grouped.setdefault(key.split(".")[-1], []).extend(messages)
    return grouped


def _summary(errors: dict[str, list[str]], prefix: str) -> list[tuple[str, str]]:
    return [(f"#{prefix}-{key}", _("%(field)s: %(error)s", field=LABELS.get(key, key),
                                   error="; ".join(services.translated(m) for m in messages)))
            for key, messages in errors.items()]


def row_id(kind: str, category: str) -> str:
    return f"{kind}-{'all' if category == ANY else category}"


@bp.route("/after-approval", methods=["GET", "POST"])
@roles_required(*OFFICE)
def settings() -> Any:
    """The report rules, each row editable, and a switch per school."""
    summary: list[tuple[str, str]] = []
    errors: dict[str, list[str]] = {}
    editing, posted = None, {}
    back = redirect(url_for("web_mobility_admin.settings"))
    if request.method == "POST":
        form, what = request.form, request.form.get("what")
        if what == "rule":
            if not _CODE.fullmatch(form.get("kind", "")) or not _CODE.fullmatch(form.get("category", "")):
                raise BadRequest("Unknown kind or category.")
            reply = services.request("PUT", "mobilities/report-rules", json_body={"rules": [_rule_body(form)]})
            if reply.ok:
                flash(_("The report rules are saved."), "success")
                return back
            if reply.status != 422 or not reply.field_errors():
                flash(reply.explain(_("Refused.")), "error")
                return back
            editing, posted = row_id(form["kind"], form["category"]), form
            errors = _by_field(reply)
            summary = _summary(errors, editing)
        elif what == "hold":
            school = form.get("school", "")
            if not _CODE.fullmatch(school) or school == ANY:
                raise BadRequest("Unknown school.")
            on = form.get("on") == "1"
            reply = services.request("PUT", f"mobilities/school-holds/{school}", json_body={"on": on})
            if reply.ok:
                name = school_names().get(school, school)
                flash(_("School holds are on for %(school)s.", school=name) if on else
                      _("School holds are off for %(school)s.", school=name), "success")
            else:
                flash(reply.explain(_("Refused.")), "error")
            return back
        else:
            raise BadRequest("Unknown action.")
    rules = services.get("mobilities/report-rules")
    if not rules.ok:
        raise services.ServiceDown("mobilities")
    schools = school_names()
    holds = {code: bool((services.get(f"mobilities/school-holds/{code}").data or {}).get("on")) for code in schools}
    return render_template("admin/report_rules.html", rows=rows(rules.data["rules"]), schools=schools, holds=holds,
                           summary=summary, errors=errors, editing=editing, posted=posted, row_id=row_id,
                           labels=LABELS), 422 if summary else 200
