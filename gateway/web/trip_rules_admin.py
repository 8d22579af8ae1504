"""Admin pages of the office's rules for staff trips abroad, kept as data by the services: the categories' limits
and the schools' own lead times, the per-country allowances (edited, or imported from a CSV file), the schools'
annual plans (applications), and the official working-day calendar (reviews).

The pages hold no rules: they send what was typed to the services' APIs and show what those said, a refusal as
a GOV.UK error summary linking to the fields (a CSV file's bad lines by number). Only the calendar's lines
("2031-10-01 holiday 国庆节") are read here, into the days the API takes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from gateway.models import School
from gateway.web import services
from gateway.web.security import csrf
from gateway.web.sessions import roles_required
from gateway.web.widgets import country_name, page_language

bp = Blueprint("web_trip_rules", __name__, url_prefix="/admin")
bp.before_request(csrf.protect)

UNITS = {"days": _l("days"), "working_days": _l("working days")}
SOURCES = {"entered": _l("entered by an administrator"),
           "official package": _l("the official calendar package (chinesecalendar)"),
           "unknown": _l("not known yet: seed it from the package or enter its days")}
RULE_LABELS = {"max_countries": _l("Most countries or regions"), "max_members": _l("Most members of a group"),
               "days_by_countries": _l("Most days abroad"), "lead_time": _l("Lead time"),
               "lead_unit": _l("Lead time counted in"), "school": _l("School"), "category": _l("Category")}
ALLOWANCE_LABELS = {"country": _l("Country or region (two-letter code)"),
                    "currency": _l("Currency (three-letter code)"),
                    "lodging": _l("Lodging per person and night"),
                    "meals": _l("Meals and incidentals per person and day"),
                    "cny_rate": _l("Yuan per unit of the currency"), "line": _l("Values"), "file": _l("File")}
PLAN_LABELS = {"trips": _l("Planned trips"), "people": _l("Planned people"), "school": _l("School"),
               "year": _l("Year")}
# The services' messages these pages may show, listed so that they are extracted and translated.
SERVICE_MESSAGES = [
    _l("Only admins change the rules for staff trips."),
    _l("The rules changed since you read them: read them again."),
    _l("Must be a positive decimal number written as a string, e.g. \"180\" or \"0.048\"."),
    _l("Must be an ISO 3166 code of two capital letters, e.g. DE."),
    _l("Must be an ISO 4217 code of three capital letters, e.g. EUR."),
    _l("The file is not a text file: save the table as CSV (UTF-8)."),
    _l("The file is not UTF-8 text: save the table as \"CSV UTF-8\"."),
    _l("The file has no countries below its header."),
    _l("The file cannot be read as a CSV table: save the table as CSV (UTF-8)."),
    _l("Choose the CSV file to import."),
    _l("Only the International Cooperation Department sets the annual plans."),
    _l("Must be greater than or equal to 1."),
    _l("Must be less than or equal to 10000."),
    _l("Must be greater than or equal to 0 and less than or equal to 3650."),
    _l("Must be one of: days, working_days."),
]
DAYS_SHOWN = 5  # day limits offered for this many countries when the number of countries is not limited
_CATEGORY = re.compile(r"[a-z][a-z_]{0,29}")
_SCHOOL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
KINDS_OF_DAY = {"holiday": False, "workday": True, "休": False, "班": True}


def _db() -> Any:
    return current_app.extensions["gateway"].sessions()


def _schools() -> dict[str, str]:
    """The schools by code, named in the page's language."""
    zh = page_language() == "zh"
    with _db() as db:
        return {s.code: (s.name_zh if zh and s.name_zh else s.name_en or s.code)
                for s in db.query(School).order_by(School.code)}


def _typed(value: str | None) -> Any:
    """A number field as the API takes it: empty is none, digits a number; anything else goes as typed (the
    service refuses it, named by its label)."""
    text = (value or "").strip()
    if not text:
        return None
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def _summary(errors: dict[str, list[str]], labels: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
    """The error summary's links: each field error as "Label: message", to the field `#<prefix>-<field>`."""
    return [(f"#{prefix}-{key.split('.')[0]}", _("%(field)s: %(error)s", field=labels.get(key.split(".")[0], key),
                                                 error="; ".join(services.translated(m) for m in messages)))
            for key, messages in errors.items()]


def _by_field(reply: services.Reply) -> dict[str, list[str]]:
    """The 422's errors by the form's field (a nested key such as `days_by_countries.4` shows at its field)."""
    grouped: dict[str, list[str]] = {}
    for key, messages in reply.field_errors().items():
        grouped.setdefault(key.split(".")[0], []).extend(messages)
    return grouped


def _refused(reply: services.Reply) -> None:
    flash(reply.explain(_("Refused.")), "error")


def _year(value: str | None) -> int:
    # isdecimal, not isdigit: "²" is a digit that int() refuses (a 500 from ?year=²)
    return int(value) if value and value.isdecimal() and 2000 <= int(value) <= 2100 else datetime.now(UTC).year


# ---- trip rules -------------------------------------------------------------------------------------------

def days_words(days: dict[str, int] | None) -> str:
    if not days:
        return _("no limit")
    return "; ".join(_("%(n)s countries: %(days)s days", n=n, days=days[n]) if n != "1" else
                     _("1 country: %(days)s days", days=days[n]) for n in sorted(days, key=int))


def lead_words(lead_time: int, unit: str) -> str:
    return _("%(n)s working days", n=lead_time) if unit == "working_days" else _("%(n)s days", n=lead_time)


def _day_slots(rule: dict[str, Any]) -> list[int]:
    keys = [int(k) for k in (rule.get("days_by_countries") or {}) if str(k).isdigit()]
    return list(range(1, max([rule.get("max_countries") or DAYS_SHOWN, *keys]) + 1))


def _rule_body(form: Any, slots: list[int]) -> dict[str, Any]:
    days = {str(n): _typed(form.get(f"days-{n}")) for n in slots}
    kept = {n: v for n, v in days.items() if v is not None}
    return {"max_countries": _typed(form.get("max_countries")), "max_members": _typed(form.get("max_members")),
            "days_by_countries": kept or None, "lead_time": _typed(form.get("lead_time")),
            "lead_unit": form.get("lead_unit", "")}


@bp.route("/trip-rules", methods=["GET", "POST"])
@roles_required("admin")
def trip_rules() -> Any:
    """Each category's limits, each editable; the schools' own lead times, set and removed."""
    rules = services.get("trip-rules")
    if not rules.ok:
        raise services.ServiceDown("applications")
    categories = {c["category"]: c for c in rules.data["categories"]}
    summary: list[tuple[str, str]] = []
    errors: dict[str, list[str]] = {}
    editing, posted = None, {}
    if request.method == "POST":
        form, what = request.form, request.form.get("what")
        if what == "rule":
            category = form.get("category", "")
            if category not in categories:
                raise BadRequest("Unknown category.")
            body = _rule_body(form, _day_slots(categories[category]))
            reply = services.request("PUT", f"trip-rules/{category}", json_body=body,
                                     headers={"If-Match": f'"{form.get("version", "")}"'})
            if reply.ok:
                flash(_("Rules saved: %(category)s.", category=_label(categories[category])), "success")
                return redirect(url_for("web_trip_rules.trip_rules"))
            if reply.status != 422:
                _refused(reply)
                return redirect(url_for("web_trip_rules.trip_rules"))
            errors, editing, posted = _by_field(reply), category, form
            summary = _summary(errors, RULE_LABELS, category)
        elif what in ("school", "school-remove"):
            category, school = form.get("category", ""), form.get("school", "")
            if not _CATEGORY.fullmatch(category) or not _SCHOOL.fullmatch(school):
                raise BadRequest("Unknown school or category.")
            path = f"trip-rules/{category}/schools/{school}"
            if what == "school-remove":
                reply = services.request("DELETE", path)
                flash(_("The school's own lead time is removed.") if reply.ok else reply.explain(_("Refused.")),
                      "success" if reply.ok else "error")
                return redirect(url_for("web_trip_rules.trip_rules"))
            reply = services.request("PUT", path, json_body={"lead_time": _typed(form.get("lead_time")),
                                                             "lead_unit": form.get("lead_unit", "")})
            if reply.ok:
                flash(_("The school's own lead time is saved."), "success")
                return redirect(url_for("web_trip_rules.trip_rules"))
            if reply.status != 422:
                _refused(reply)
                return redirect(url_for("web_trip_rules.trip_rules"))
            errors, editing, posted = _by_field(reply), "school", form
            summary = _summary(errors, RULE_LABELS, "school")
        else:
            raise BadRequest("Unknown action.")
    return render_template(
        "admin/trip_rules.html", categories=list(categories.values()), schools=_schools(),
        own=rules.data["schools"], units=UNITS, label=_label, days_words=days_words, lead_words=lead_words,
        slots=_day_slots, summary=summary, errors=errors, editing=editing, posted=posted,
    ), 422 if summary else 200


def _label(category: dict[str, Any] | str) -> str:
    if isinstance(category, str):
        return category
    labels = category.get("labels") or {}
    return str(labels.get(page_language()) or labels.get("en") or category.get("category"))


# ---- allowances ---------------------------------------------------------------------------------------------

def _import_summary(reply: services.Reply) -> list[tuple[str, str]]:
    """A refused CSV file's errors: each bad line by its number, then what is wrong with the file as a whole."""
    data = reply.data if isinstance(reply.data, dict) else {}
    found = []
    for entry in data.get("lines") or []:
        parts = [_("%(field)s: %(error)s", field=ALLOWANCE_LABELS.get(key, key),
                   error="; ".join(services.translated(m) for m in messages))
                 for key, messages in (entry.get("errors") or {}).items()]
        found.append(("#csv-file", _("Line %(n)s: %(errors)s", n=entry.get("line"), errors=" ".join(parts))))
    said = (data.get("errors") or {}).get("file") or []
    general = said[len(found):] or ([] if found else [reply.message])  # the lines' own sentences come first
    found += [("#csv-file", services.translated(m)) for m in general]
    return found


@bp.route("/allowances", methods=["GET", "POST"])
@roles_required("admin")
def allowances() -> Any:
    """The per-country allowances, each editable or removable; a country added; the table imported from CSV."""
    summary: list[tuple[str, str]] = []
    errors: dict[str, list[str]] = {}
    editing, posted = None, {}
    back = redirect(url_for("web_trip_rules.allowances"))
    if request.method == "POST":
        form, what = request.form, request.form.get("what")
        if what == "import":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                summary = [("#csv-file", _("Choose the CSV file to import."))]
            else:
                reply = services.request("POST", "allowances/import", files=(
                    "file", upload.filename, upload.read(), upload.mimetype or "text/csv"))
                if reply.ok:
                    flash(_("Imported. Added: %(added)s; replaced: %(replaced)s.", added=reply.data["added"],
                            replaced=reply.data["replaced"]), "success")
                    return back
                if reply.status not in (413, 422):
                    _refused(reply)
                    return back
                summary, editing = _import_summary(reply), "import"
        elif what in ("allowance", "remove"):
            country = form.get("country", "").strip().upper()
            prefix = f"al-{country}" if form.get("existing") else "new"
            if not _COUNTRY.fullmatch(country):
                errors = {"country": [_("Use a two-letter ISO 3166 country code, e.g. DE.")]}
            elif what == "remove":
                reply = services.request("DELETE", f"allowances/{country}")
                flash(_("Removed: %(country)s.", country=country_name(country)) if reply.ok else
                      reply.explain(_("Refused.")), "success" if reply.ok else "error")
                return back
            else:
                body = {k: form.get(k, "").strip() for k in ("currency", "lodging", "meals", "cny_rate")}
                body["currency"] = body["currency"].upper()
                reply = services.request("PUT", f"allowances/{country}", json_body=body)
                if reply.ok:
                    flash(_("Saved: %(country)s.", country=country_name(country)), "success")
                    return back
                if reply.status != 422:
                    _refused(reply)
                    return back
                errors = _by_field(reply)
            editing, posted = prefix, form
            summary = _summary(errors, ALLOWANCE_LABELS, prefix)
        else:
            raise BadRequest("Unknown action.")
    table = services.get("allowances")
    if not table.ok:
        raise services.ServiceDown("applications")
    return render_template("admin/allowances.html", allowances=table.data, country_name=country_name,
                           summary=summary, errors=errors, editing=editing, posted=posted), 422 if summary else 200


# ---- annual plans -------------------------------------------------------------------------------------------

@bp.route("/trip-plans", methods=["GET", "POST"])
@roles_required("admin", "icd_officer")
def trip_plans() -> Any:
    """Each school's planned trips and people for a year, with the trips filed against the plan so far."""
    year = _year(request.values.get("year"))
    summary: list[tuple[str, str]] = []
    errors: dict[str, list[str]] = {}
    editing, posted = None, {}
    if request.method == "POST":
        school = request.form.get("school", "")
        if not _SCHOOL.fullmatch(school):
            raise BadRequest("Unknown school.")
        body = {"trips": _typed(request.form.get("trips")), "people": _typed(request.form.get("people"))}
        reply = services.request("PUT", f"trip-plans/{school}/{year}", json_body=body)
        if reply.ok:
            flash(_("Plan saved."), "success")
            return redirect(url_for("web_trip_rules.trip_plans", year=year))
        if reply.status != 422:
            _refused(reply)
            return redirect(url_for("web_trip_rules.trip_plans", year=year))
        errors, editing, posted = _by_field(reply), school, request.form
        summary = _summary(errors, PLAN_LABELS, f"plan-{school}")
    plans = services.get("trip-plans", year=year)
    if not plans.ok:
        raise services.ServiceDown("applications")
    by_school = {p["school"]: p for p in plans.data}
    schools = _schools()
    rows = [(code, schools.get(code, code), by_school.get(code)) for code in [*schools, *sorted(
        set(by_school) - set(schools))]]
    return render_template("admin/trip_plans.html", year=year, rows=rows, summary=summary, errors=errors,
                           editing=editing, posted=posted), 422 if summary else 200


# ---- the official calendar ----------------------------------------------------------------------------------

def calendar_lines(days: list[dict[str, Any]]) -> str:
    """A year's days as the lines the page takes back: "2031-10-01 holiday 国庆节"."""
    return "\n".join(f"{d['date']} {'workday' if d['workday'] else 'holiday'} {d.get('name') or ''}".rstrip()
                     for d in days)


def read_lines(text: str, year: int) -> tuple[list[dict[str, Any]], list[int], list[tuple[int, str]]]:
    """(the days, the line number of each, the errors by line) from lines "DATE holiday|workday [NAME]"."""
    days: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split(maxsplit=2)
        if not parts:
            continue
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            errors.append((number, _("Start with a date written 2031-10-01.")))
            continue
        if day.year != year:
            errors.append((number, _("The date is not in %(year)s.", year=year)))
        elif len(parts) < 2 or parts[1].lower() not in KINDS_OF_DAY:
            errors.append((number, _("After the date, write holiday or workday.")))
        else:
            days.append({"date": day.isoformat(), "workday": KINDS_OF_DAY[parts[1].lower()],
                         "name": parts[2].strip()[:80] if len(parts) > 2 else ""})
            numbers.append(number)
    return days, numbers, errors


def _calendar_summary(errors: dict[str, list[str]], numbers: list[int]) -> list[tuple[str, str]]:
    """The calendar service's errors on `days.<i>.date` as errors of the lines they came from."""
    found = []
    for key, messages in errors.items():
        parts = key.split(".")
        text = "; ".join(services.translated(m) for m in messages)
        if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(numbers):
            text = _("Line %(n)s: %(errors)s", n=numbers[int(parts[1])], errors=text)
        found.append(("#calendar-days", text))
    return found


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required("admin")
def calendar() -> Any:
    """A year of the official working-day calendar: shown, seeded from the package, or replaced by lines."""
    year = _year(request.values.get("year"))
    summary: list[tuple[str, str]] = []
    typed = None
    if request.method == "POST":
        if request.form.get("what") == "seed":
            reply = services.request("POST", f"calendar/{year}/seed")
            if reply.ok:
                flash(_("%(year)s is copied from the official calendar package.", year=year), "success")
            else:
                _refused(reply)
            return redirect(url_for("web_trip_rules.calendar", year=year))
        typed = request.form.get("days", "")
        days, numbers, line_errors = read_lines(typed, year)
        summary = [("#calendar-days", _("Line %(n)s: %(errors)s", n=n, errors=e)) for n, e in line_errors]
        if not summary:
            reply = services.request("PUT", f"calendar/{year}", json_body={"days": days, "demo": False})
            if reply.ok:
                flash(_("The days of %(year)s are replaced.", year=year), "success")
                return redirect(url_for("web_trip_rules.calendar", year=year))
            if reply.status != 422:
                _refused(reply)
                return redirect(url_for("web_trip_rules.calendar", year=year))
            summary = _calendar_summary(reply.field_errors(), numbers) or [("#calendar-days", reply.explain(
                _("Refused.")))]
    shown = services.get(f"calendar/{year}")
    if not shown.ok:
        raise services.ServiceDown("reviews")
    return render_template("admin/calendar.html", year=year, calendar=shown.data, sources=SOURCES,
                           lines=calendar_lines(shown.data["days"]) if typed is None else typed,
                           summary=summary), 422 if summary else 200
