"""The statistics dashboard for the ICD (and deans, for their school): filters, SVG charts, tables, and every
table as CSV and XLSX, plus a printable PDF report of one academic year. For the ICD and admins also the
selection's places by partner (offered, taken, left unused per academic year); deans do not see them.

The numbers come from the applications service's /api/v1/stats (which decides who sees what); this module
only names things in the reader's language and lays them out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.models import School
from gateway.web import charts, exports, kinds, services
from gateway.web.exports import Table
from gateway.web.sessions import roles_required

bp = Blueprint("web_stats", __name__, url_prefix="/stats")
VIEWERS = ("icd_officer", "admin", "school_dean")
FILTERS = ("academic_year", "school", "kind", "region", "as_of")
GROUPS = ("region", "kind", "school", "academic_year", "duration", "country", "partner")
TABLES = ("summary", *GROUPS, "reviews", "places")
CHARTS = ("region", "kind", "school", "academic_year", "duration")

REGIONS = {"belt_and_road": _l("Belt and Road"), "asean": _l("ASEAN"), "europe": _l("Europe"),
           "americas": _l("Americas"), "other": _l("Other")}
DURATIONS = {"two_weeks_or_less": _l("Two weeks or less"), "up_to_three_months": _l("Two weeks to three months"),
             "up_to_six_months": _l("Three to six months"), "over_six_months": _l("Over six months")}
GROUP_TITLES = {"region": _l("By region"), "kind": _l("By kind"), "school": _l("By school"),
                "academic_year": _l("By academic year"), "duration": _l("By duration"),
                "country": _l("By country or region"), "partner": _l("By partner institution")}
GROUP_COLUMNS = {"region": _l("Region"), "kind": _l("Kind"), "school": _l("School"),
                 "academic_year": _l("Academic year"), "duration": _l("Duration"), "country": _l("Country or region"),
                 "partner": _l("Partner institution")}
RATES = ("approval_rate", "return_rate")


def _filters() -> dict[str, str]:
    filters = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    if "school" in filters and filters["school"] not in _schools():
        raise _BadFilters()  # the service would count an unknown school as one with nothing in it
    return filters


def _get(path: str, **params: Any) -> Any:
    reply = services.get(f"stats/{path}", **params)
    if reply.status == 403:
        abort(403)
    if reply.status == 422:
        raise _BadFilters()
    if not reply.ok:
        abort(502)
    return reply.data


class _BadFilters(Exception):
    """A filter the service refused (a hand-edited URL): the page starts over without filters."""


@bp.errorhandler(_BadFilters)
def _bad_filters(error: _BadFilters) -> Response:
    flash(_("Those filters are not valid; showing all the data."), "error")
    return redirect(url_for("web_stats.dashboard"))  # type: ignore[return-value]


def _schools() -> dict[str, str]:
    chinese = str(get_locale()) == "zh"
    with current_app.extensions["gateway"].sessions() as db:
        return {s.code: s.name_zh if chinese else s.name_en for s in db.query(School)}


# Hong Kong, Macao and Taiwan are regions of China, named as the university names them (CLDR's own names for
# Taiwan and the SARs are not what a Chinese university writes).
CHINESE_REGIONS = {"HK": _l("Hong Kong, China"), "MO": _l("Macao, China"), "TW": _l("Taiwan, China")}


def _country(code: str) -> str:
    if code in CHINESE_REGIONS:
        return str(CHINESE_REGIONS[code])
    return str(get_locale().territories.get(code, code))  # type: ignore[union-attr]


def _year(value: int | None) -> str:
    return f"{value}–{value + 1}" if value is not None else _("Not known")


def _label(group: str, key: Any, schools: dict[str, str]) -> str:
    if key is None:
        return _("No partner institution") if group == "partner" else _("Not known")
    if group == "kind":
        return kinds.kind_name(key)
    if group == "region":
        return str(REGIONS.get(key, key))
    if group == "duration":
        return str(DURATIONS.get(key, key))
    if group == "school":
        return schools.get(key, key)
    if group == "academic_year":
        return _year(key)
    if group == "country":
        return _country(key)
    return str(key)


def _value(key: str, value: Any) -> Any:
    """A number as the tables carry it: rates and hours keep their kind, so a spreadsheet gets numbers."""
    if value is None:
        return None
    return exports.Percent(value) if key in RATES else value


def _hours(value: float | None) -> exports.Hours | None:
    return exports.Hours(value) if value is not None else None


def _summary_table(summary: dict[str, Any], definitions: dict[str, Any]) -> Table:
    titles = {d["key"]: services.translated(d["title"]) for d in definitions["indicators"]}
    order = list(titles)
    values = sorted(summary["indicators"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    return Table("summary", _("Indicators"), [_("Indicator"), _("Value")],
                 [[titles.get(k, k), _value(k, v)] for k, v in values])


def _group_table(group: str, filters: dict[str, str], schools: dict[str, str]) -> tuple[Table, list[Any]]:
    """A table of approved mobilities, and its (label, row) pairs for the chart."""
    rows = [(_label(group, r["key"], schools), r) for r in _get("mobilities", group_by=group, **filters)["rows"]]
    return Table(group, str(GROUP_TITLES[group]),
                 [str(GROUP_COLUMNS[group]), _("Approved"), _("Completed"), _("Going abroad"), _("Coming in")],
                 [[label, r["approved"], r["completed"], r["people_outbound"], r["people_inbound"]]
                  for label, r in rows]), rows


def _reviews_table(filters: dict[str, str]) -> Table:
    return Table("reviews", _("Review throughput by level"), [
        _("Level"), _("Decisions"), _("Approved"), _("Returned"), _("Rejected"), _("Return rate"),
        _("Median hours"), _("Mean hours")], [
        [r["level"], r["decisions"], r["approve"], r["return"], r["reject"], _value("return_rate", r["return_rate"]),
         _hours(r["median_hours"]), _hours(r["mean_hours"])] for r in _get("reviews", **filters)["rows"]])


def _places_table(filters: dict[str, str]) -> Table | None:
    """Places by partner and academic year; None for a reader the service does not show them to (a dean).
    The places are the university's: only the academic year filters them."""
    year = {"academic_year": filters["academic_year"]} if filters.get("academic_year") else {}
    reply = services.get("stats/places", **year)
    if reply.status == 403:
        return None
    if reply.status == 422:
        raise _BadFilters()
    if not reply.ok:
        abort(502)
    return Table("places", _("Places by partner"), [
        _("Partner institution"), _("Academic year"), _("Places offered"), _("Places taken"),
        _("Places left unused")], [
        [r["partner_name"], _year(r["academic_year"]), r["offered"], r["taken"], r["unused"]]
        for r in reply.data["rows"]])


def _table(key: str, filters: dict[str, str], schools: dict[str, str]) -> Table:
    """One table alone (what an export needs), named in the reader's language."""
    if key == "places":
        places = _places_table(filters)
        if places is None:
            abort(403)
        return places
    if key == "summary":
        return _summary_table(_get("summary", **filters), _get("definitions"))
    if key == "reviews":
        return _reviews_table(filters)
    return _group_table(key, filters, schools)[0]


def _data(filters: dict[str, str]) -> dict[str, Any]:
    """Everything the page and the report show, under the filters, named in the reader's language."""
    summary, definitions, schools = _get("summary", **filters), _get("definitions"), _schools()
    tables, groups = {"summary": _summary_table(summary, definitions)}, {}
    for group in GROUPS:
        tables[group], groups[group] = _group_table(group, filters, schools)
    tables["reviews"] = _reviews_table(filters)
    places = _places_table(filters)
    if places is not None:
        tables["places"] = places
    return {"summary": summary, "definitions": definitions, "tables": tables, "groups": groups,
            "schools": schools}


def _scope_label(filters: dict[str, str], schools: dict[str, str], visible: list[str] | None) -> str:
    """What the numbers cover, in words: the year, the school (a dean's own, named even when not chosen)."""
    parts = [_("Academic year %(year)s", year=_year(int(filters["academic_year"])))
             if filters.get("academic_year") else _("All academic years")]
    if filters.get("school"):
        parts.append(schools.get(filters["school"], filters["school"]))
    elif visible is not None:
        parts.append(_("only %(schools)s", schools=", ".join(schools.get(code, code) for code in visible)))
    if filters.get("kind"):
        parts.append(kinds.kind_name(filters["kind"]))
    if filters.get("region"):
        parts.append(str(REGIONS.get(filters["region"], filters["region"])))
    return " · ".join(parts)


@bp.get("")
@roles_required(*VIEWERS)
def dashboard() -> str:
    filters = _filters()
    data = _data(filters)
    visible = data["summary"]["filters"]["schools"]
    school_choices = {c: n for c, n in sorted(data["schools"].items()) if visible is None or c in visible}
    chart_svgs = {group: charts.bar_chart(data["tables"][group].title,
                                          [(label, r["approved"]) for label, r in data["groups"][group]])
                  for group in CHARTS if data["groups"][group]}
    return render_template(
        "stats.html", filters=filters, summary=data["summary"], tables=data["tables"], charts=chart_svgs,
        definitions=data["definitions"], years=data["summary"]["academic_years"], schools=school_choices,
        kinds=kinds.labels(), regions=REGIONS, year_label=_year, scope=_scope_label(filters, data["schools"], visible),
    )


@bp.get("/export/<any(" + ", ".join(TABLES) + "):table>.<any(csv, xlsx):fmt>")
@roles_required(*VIEWERS)
def export(table: str, fmt: str) -> Response:
    filters = _filters()
    chosen = _table(table, filters, _schools())
    return exports.download_table(chosen, fmt, exports.filename(
        "mobility-statistics", table, *(filters[k] for k in FILTERS if k in filters)))


@bp.get("/report.pdf")
@roles_required(*VIEWERS)
def report() -> Response:
    """One academic year (the newest with data when none is named), under the other filters too."""
    filters = _filters()
    if "academic_year" not in filters:
        summary = _get("summary")
        today = date.fromisoformat(summary["as_of"])  # the service's today, where the office is
        years = summary["academic_years"] or [today.year if today.month >= 9 else today.year - 1]
        filters["academic_year"] = str(years[0])
        return redirect(url_for("web_stats.report", **filters))  # type: ignore[return-value]
    data = _data(filters)
    definitions = [*data["definitions"]["indicators"], *data["definitions"]["tables"]]
    scope = _scope_label(filters, data["schools"], data["summary"]["filters"]["schools"])
    author = g.user.name or g.user.username
    pdf = exports.to_pdf(exports.Report(
        title=_("International mobility statistics"), author=author,
        subtitle=_("%(scope)s. As of %(day)s; made by %(user)s.", scope=scope,
                   day=format_date(date.fromisoformat(data["summary"]["as_of"]), "long"), user=author),
        tables=[data["tables"][t] for t in TABLES if t in data["tables"]], notes_title=_("How each number is counted"),
        notes=[(services.translated(d["title"]), services.translated(d["definition"])) for d in definitions],
        empty=_("Nothing to count yet."),
    ), chinese=str(get_locale()) == "zh")
    return exports.download(pdf, "application/pdf",
                            exports.filename("mobility-statistics", filters["academic_year"]) + ".pdf", inline=True)
