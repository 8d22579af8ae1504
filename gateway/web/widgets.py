"""The widgets an application form is built from, one entry per widget name of the kinds' field metadata
(GET /api/v1/kinds): which WTForms field shows it, how its value goes to and from the API's form JSON, and how
a stored value reads on an application's page. A new widget is one entry in WIDGETS; a new kind needs none.

The pages judge nothing: values go to the service as typed (a date or a number it cannot read comes back as
its 422 error, next to the field).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.fields.core import Field, Label, UnboundField

Spec = dict[str, Any]  # one field's metadata, as the kinds API sends it
TERM = re.compile(r"^(\d{4})-(spring|fall)\Z")
ORDINALS = (_l("First choice"), _l("Second choice"), _l("Third choice"))
BLANK = ("", "—")


def words(labels: dict[str, str] | None, lang: str, fallback: str = "") -> str:
    """A label in the reader's language, else in English, else in any language the service gave."""
    labels = labels or {}
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), "") or fallback


def page_language() -> str:
    return str(get_locale() or "zh")


@dataclass(frozen=True)
class Context:
    """What building and showing a form needs besides the metadata: the reader's language, the program's
    partners (for partner choices) and today (for the terms offered)."""

    lang: str
    partners: dict[str, str] = field(default_factory=dict)  # id → "name (country)", in the program's order
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class Shown:
    """A stored value as its page shows it: a text, an ordered list, or labelled parts (a group)."""

    label: str
    text: str = ""
    items: tuple[str, ...] = ()
    parts: tuple[Shown, ...] = ()


def label_of(spec: Spec, ctx: Context) -> str:
    return words(spec.get("labels"), ctx.lang, spec["name"])


def _options(spec: Spec, ctx: Context) -> dict[str, str]:
    return {c["value"]: words(c.get("labels"), ctx.lang, c["value"]) for c in spec.get("choices") or []}


def term_words(value: str) -> str:
    """'2031-fall' → 'Fall 2031' / '2031 秋季学期'; anything else as it is."""
    match = TERM.match(value)
    if not match:
        return value
    year = match.group(1)
    return _("Spring %(year)s", year=year) if match.group(2) == "spring" else _("Fall %(year)s", year=year)


# -- the fields ---------------------------------------------------------------------------------------------


def _common(spec: Spec, ctx: Context, **render_kw: Any) -> dict[str, Any]:
    if spec.get("max_length"):
        render_kw["maxlength"] = spec["max_length"]
    return {"label": label_of(spec, ctx), "description": words(spec.get("help"), ctx.lang),
            "render_kw": render_kw or None}


class Group(FormField):
    """A nested object: its subfields in a fieldset. Errors about the whole group go to `own_errors`."""

    composite = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_errors: list[str] = []


class Ranked(FieldList):
    """Choices in order of preference: one select per rank, labelled "First choice", "Second choice", …"""

    composite = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_errors: list[str] = []

    def _add_entry(self, *args: Any, **kwargs: Any) -> Field:
        entry = super()._add_entry(*args, **kwargs)
        rank = len(self.entries)
        entry.label = Label(entry.id, ORDINALS[rank - 1] if rank <= len(ORDINALS)
                            else _("Choice %(rank)s", rank=rank))
        return entry


def _line(spec: Spec, ctx: Context) -> UnboundField:
    return StringField(**_common(spec, ctx))


def _text(spec: Spec, ctx: Context) -> UnboundField:
    return TextAreaField(**_common(spec, ctx, rows=6))


def _date(spec: Spec, ctx: Context) -> UnboundField:
    return StringField(**_common(spec, ctx, type="date"))


def _decimal(spec: Spec, ctx: Context) -> UnboundField:
    return StringField(**_common(spec, ctx, inputmode="decimal"))


def _integer(spec: Spec, ctx: Context) -> UnboundField:
    return StringField(**_common(spec, ctx, inputmode="numeric"))


def _choice(spec: Spec, ctx: Context) -> UnboundField:
    return SelectField(choices=[BLANK, *_options(spec, ctx).items()], validate_choice=False, **_common(spec, ctx))


def _country(spec: Spec, ctx: Context) -> UnboundField:
    return StringField(**_common(spec, ctx, maxlength=2, autocapitalize="characters"))


def _countries(spec: Spec, ctx: Context) -> UnboundField:
    return StringField(**_common(spec, ctx, autocapitalize="characters"))


def _partner_choices(spec: Spec, ctx: Context) -> UnboundField:
    ranks = spec.get("max_items") or 3
    entry = SelectField(choices=[BLANK, *ctx.partners.items()], validate_choice=False)
    return Ranked(entry, min_entries=ranks, max_entries=ranks, **_common(spec, ctx))


def _term(spec: Spec, ctx: Context) -> UnboundField:
    # Only terms that have not begun (spring on 1 February, fall on 1 September): the service refuses the others.
    starts = {"spring": 2, "fall": 9}
    terms = [f"{y}-{t}" for y in range(ctx.today.year, ctx.today.year + 6) for t in ("spring", "fall")
             if (y, starts[t], 1) > (ctx.today.year, ctx.today.month, ctx.today.day)]
    return SelectField(choices=[BLANK, *((t, term_words(t)) for t in terms)], validate_choice=False,
                       **_common(spec, ctx))


def _group(spec: Spec, ctx: Context) -> UnboundField:
    return Group(form_class(spec.get("fields") or [], ctx), **_common(spec, ctx))


# -- values to the API and back -------------------------------------------------------------------------------


def _stripped(f: Field, spec: Spec) -> Any:
    """Left out when left empty; only spaces are sent (as "") so the service can say it must not be blank."""
    return f.data.strip() if f.data else None


def _upper(f: Field, spec: Spec) -> Any:
    return f.data.strip().upper() if f.data else None


def _whole(f: Field, spec: Spec) -> Any:
    value = _stripped(f, spec)
    return int(value) if value and re.fullmatch(r"-?\d+", value) else value  # not a number: the service says so


def _codes(f: Field, spec: Spec) -> Any:
    return [c.strip().upper() for c in (f.data or "").split(",") if c.strip()] or None


def _ranked(f: Field, spec: Spec) -> Any:
    return [entry.data for entry in f.entries if entry.data] or None


def _grouped(f: Field, spec: Spec) -> Any:
    return values_to_api(f.form, spec.get("fields") or []) or None


def _set(f: Field, spec: Spec, value: Any) -> None:
    f.data = "" if value is None else str(value)


def _set_codes(f: Field, spec: Spec, value: Any) -> None:
    _set(f, spec, ", ".join(value) if isinstance(value, list) else value)


def _set_term(f: Field, spec: Spec, value: Any) -> None:
    _set(f, spec, value)
    if f.data and f.data not in dict(f.choices):  # a stored value no longer offered (an older term): keep it
        f.choices = [*f.choices, (f.data, term_words(f.data))]


def _set_ranked(f: Field, spec: Spec, value: Any) -> None:
    value = value if isinstance(value, list) else []
    for i, entry in enumerate(f.entries):
        entry.data = value[i] if i < len(value) else ""


def _set_grouped(f: Field, spec: Spec, value: Any) -> None:
    values_from_api(f.form, spec.get("fields") or [], value if isinstance(value, dict) else {})


# -- stored values on a page ----------------------------------------------------------------------------------


def _show_text(spec: Spec, value: Any, ctx: Context) -> Shown:
    return Shown(label_of(spec, ctx), text=", ".join(map(str, value)) if isinstance(value, list) else str(value))


def _show_choice(spec: Spec, value: Any, ctx: Context) -> Shown:
    return Shown(label_of(spec, ctx), text=_options(spec, ctx).get(value, str(value)))


def _show_country(spec: Spec, value: Any, ctx: Context) -> Shown:
    return Shown(label_of(spec, ctx), text=country_name(str(value)))


def _show_countries(spec: Spec, value: Any, ctx: Context) -> Shown:
    codes = value if isinstance(value, list) else [value]
    return Shown(label_of(spec, ctx), text=", ".join(country_name(str(c)) for c in codes))


def _show_ranked(spec: Spec, value: Any, ctx: Context) -> Shown:
    ids = value if isinstance(value, list) else [value]
    return Shown(label_of(spec, ctx), items=tuple(ctx.partners.get(i, str(i)) for i in ids))


def _show_term(spec: Spec, value: Any, ctx: Context) -> Shown:
    return Shown(label_of(spec, ctx), text=term_words(str(value)))


def _show_group(spec: Spec, value: Any, ctx: Context) -> Shown:
    if not isinstance(value, dict):
        return _show_text(spec, value, ctx)
    return Shown(label_of(spec, ctx), parts=tuple(shown(spec.get("fields") or [], value, ctx)))


def country_name(code: str) -> str:
    """A country in the reader's language (the code too, since forms ask for codes)."""
    name = get_locale().territories.get(code) if get_locale() else None  # type: ignore[union-attr]
    return f"{name} ({code})" if name else code


@dataclass(frozen=True)
class Widget:
    field: Callable[[Spec, Context], UnboundField]
    to_api: Callable[[Field, Spec], Any] = _stripped  # None: left out of the form
    from_api: Callable[[Field, Spec, Any], None] = _set
    show: Callable[[Spec, Any, Context], Shown] = _show_text


WIDGETS: dict[str, Widget] = {
    "line": Widget(_line),
    "text": Widget(_text),
    "date": Widget(_date),
    "decimal": Widget(_decimal),
    "integer": Widget(_integer, to_api=_whole),
    "choice": Widget(_choice, show=_show_choice),
    "country": Widget(_country, to_api=_upper, show=_show_country),
    "countries": Widget(_countries, to_api=_codes, from_api=_set_codes, show=_show_countries),
    "partner_choices": Widget(_partner_choices, to_api=_ranked, from_api=_set_ranked, show=_show_ranked),
    "term": Widget(_term, from_api=_set_term, show=_show_term),
    "group": Widget(_group, to_api=_grouped, from_api=_set_grouped, show=_show_group),
}


def widget(spec: Spec) -> Widget:
    """A widget this gateway does not know yet is a one-line text: the form still works, the service judges."""
    return WIDGETS.get(spec.get("widget", ""), WIDGETS["line"])


# -- a whole set of fields --------------------------------------------------------------------------------------


def form_class(specs: list[Spec], ctx: Context, base: type[Form] = Form) -> type[Form]:
    """A form class with one field per spec, in the specs' order (WTForms keeps creation order)."""
    attributes: dict[str, Any] = {spec["name"]: widget(spec).field(spec, ctx) for spec in specs}
    return type("KindForm", (base,), attributes)


def values_to_api(form: Form, specs: list[Spec]) -> dict[str, Any]:
    values = {spec["name"]: widget(spec).to_api(form[spec["name"]], spec) for spec in specs}
    return {name: value for name, value in values.items() if value is not None}


def values_from_api(form: Form, specs: list[Spec], values: dict[str, Any]) -> None:
    for spec in specs:
        widget(spec).from_api(form[spec["name"]], spec, values.get(spec["name"]))


def shown(specs: list[Spec], values: dict[str, Any], ctx: Context) -> Iterator[Shown]:
    """The stored values in form order, labelled; values the kind no longer describes come last, by name."""
    described = {spec["name"] for spec in specs}
    for spec in specs:
        if values.get(spec["name"]) not in (None, "", [], {}):
            yield widget(spec).show(spec, values[spec["name"]], ctx)
    for name, value in values.items():
        if name not in described and value not in (None, "", [], {}):
            yield _show_text({"name": name}, value, ctx)
