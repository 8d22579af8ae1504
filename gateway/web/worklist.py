"""All applications, for the office and the schools: one list within the reader's review scope (the ICD sees
every school, deans and coordinators their own), searched by applicant, title or partner, filtered by status,
kind, program, school and academic year, paged, and exported as CSV or XLSX.

The applications service decides what the reader may see (`view=review`); this module names things in the
reader's language and lays them out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.models import School
from gateway.web import exports, kinds, services
from gateway.web.exports import Table
from gateway.web.sessions import REVIEWER_ROLES, has_any_role, roles_required

bp = Blueprint("web_worklist", __name__)
FILTERS = ("q", "status", "kind", "program_id", "school", "academic_year")
STATUSES = {"submitted": _l("submitted"), "in_review": _l("in review"), "changes_requested": _l("changes requested"),
            "approved": _l("approved"), "rejected": _l("rejected"), "withdrawn": _l("withdrawn"),
            "cancelled": _l("cancelled")}
PAGE = 50
EXPORT_PAGE = 200  # the service's largest page
EXPORT_CAP = 10_000  # a spreadsheet people open, not a database dump


class _BadFilters(Exception):
    """A filter the service refused (a hand-edited URL): the list starts over without filters."""


@bp.errorhandler(_BadFilters)
def _bad_filters(error: _BadFilters) -> Response:
    flash(_("Those filters are not valid; showing all applications."), "error")
    return redirect(url_for("web_worklist.worklist"))  # type: ignore[return-value]


def _filters() -> dict[str, str]:
    return {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}


def _page(filters: dict[str, str], limit: int, cursor: str | None = None) -> dict[str, Any]:
    reply = services.get("applications", view="review", limit=limit, cursor=cursor, **filters)
    if reply.status in (400, 422):
        raise _BadFilters()
    if reply.status in (401, 403):
        abort(403)
    if not reply.ok:
        abort(502)
    return reply.data  # type: ignore[no-any-return]


UNIVERSITY_WIDE = ("icd_officer", "vice_president", "admin")


def _schools() -> dict[str, str]:
    chinese = str(get_locale()) == "zh"
    with current_app.extensions["gateway"].sessions() as db:
        return {s.code: s.name_zh if chinese else s.name_en for s in db.query(School).order_by(School.code)}


def _school_choices(schools: dict[str, str]) -> dict[str, str]:
    """The schools the filter offers: every one for the university's roles, a dean's or coordinator's own
    otherwise (the service shows them nothing else anyway)."""
    if has_any_role(g.user, *UNIVERSITY_WIDE):
        return schools
    own = {str(r.get("school")) for r in g.user.roles if r.get("role") in REVIEWER_ROLES and r.get("school")}
    return {code: name for code, name in schools.items() if code in own}


def _programs() -> dict[str, str]:
    reply = services.get("programs")
    return {p["id"]: p["name"] for p in reply.data or []} if reply.ok else {}


def _years() -> list[int]:
    """The academic years to choose from: the next one and the five before (named by the year they start)."""
    today = date.today()
    current = today.year if today.month >= 9 else today.year - 1
    return list(range(current + 1, current - 6, -1))


def year_label(value: int | None) -> str:
    return f"{value}–{value + 1}" if value is not None else "—"


def _when(value: str | None) -> str:
    return str(current_app.jinja_env.filters["when"](value)) if value else ""


def _row(item: dict[str, Any], schools: dict[str, str], programs: dict[str, str]) -> list[Any]:
    return [item.get("applicant_name") or item["applicant"], schools.get(item["school"], item["school"]),
            kinds.kind_name(item["kind"]), kinds.title_of(item), programs.get(item.get("program_id") or "", None),
            item.get("partner_name"), str(STATUSES.get(item["status"], item["status"])),
            _when(item.get("submitted_at")), _when(item.get("updated_at"))]


def _columns() -> list[str]:
    return [_("Applicant"), _("School"), _("Kind"), _("Title"), _("Program"), _("First-choice partner"),
            _("Status"), _("Submitted"), _("Last change")]


@bp.get("/all-applications")
@roles_required(*REVIEWER_ROLES)
def worklist() -> str:
    filters = _filters()
    page = _page(filters, PAGE, request.args.get("cursor") or None)
    schools, programs = _schools(), _programs()
    return render_template(
        "worklist.html", filters=filters, items=page["items"], next_cursor=page["next_cursor"],
        rows=[_row(item, schools, programs) for item in page["items"]], columns=_columns(),
        statuses=STATUSES, kinds=kinds.labels(), schools=_school_choices(schools), programs=programs, years=_years(),
        year_label=year_label, cap=EXPORT_CAP,
    )


@bp.get("/all-applications/export.<any(csv, xlsx):fmt>")
@roles_required(*REVIEWER_ROLES)
def export(fmt: str) -> Response:
    """Every page of the filtered list, up to EXPORT_CAP rows; above that the reader narrows the filters."""
    filters = _filters()
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = _page(filters, EXPORT_PAGE, cursor)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        if len(items) >= EXPORT_CAP:
            flash(_("More than %(cap)d applications match; narrow the filters to export them.", cap=EXPORT_CAP),
                  "error")
            return redirect(url_for("web_worklist.worklist", **filters))  # type: ignore[return-value]
    schools, programs = _schools(), _programs()
    table = Table("applications", _("All applications"), _columns(),
                  [_row(item, schools, programs) for item in items])
    name = exports.filename("applications", *(filters[k] for k in FILTERS if k in filters and k != "q"))
    return exports.download_table(table, fmt, name)
