"""The widgets an application form is built from, one entry per widget name of the kinds' field metadata
(GET /api/v1/kinds): which WTForms field shows it, how its value goes to and from the API's form JSON, and how
a stored value reads on an application's page. A new widget is one entry in WIDGETS; a new kind needs none.

A list of items (a trip's members, its stops: widget "items") is GOV.UK's "add another" without script: each item
a numbered fieldset with a Remove button, and an "Add another" button under them. Both are submit buttons that
save the draft first (see `list_change`), so what was typed is never lost.

The pages judge nothing: values go to the service as typed (a date or a number it cannot read comes back as
its 422 error, next to the field).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, SelectField, StringField, TextAreaField
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
    """A stored value as its page shows it: a text, an ordered list, labelled parts (a group), or numbered
    entries each with its own parts (a list of items: "Member 1", "Member 2")."""

    label: str
    text: str = ""
    items: tuple[str, ...] = ()
    parts: tuple[Shown, ...] = ()
    entries: tuple[Shown, ...] = ()


def label_of(spec: Spec, ctx: Context) -> str:
    return words(spec.get("labels"), ctx.lang, spec["name"])


def item_label(spec: Spec, ctx: Context, n: int) -> str:
    """The n-th item of a list, counted from 1: "Member 2" where the kind names one item, else "Members: 2"."""
    one = words(spec.get("item_labels"), ctx.lang)
    if one:
        return _("%(item)s %(n)s", item=one, n=n)
    return _("%(label)s: %(n)s", label=label_of(spec, ctx), n=n)


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


class Items(FieldList):
    """A list of like items, each a Group of the item's fields labelled "Member 1", "Member 2", …; at least one
    (or the kind's least number) is shown. `sent` keeps which entries went to the service, in order, so that its
    errors (`members.2.name`: the third item it got) land on the entry typed on the page even when an entirely
    empty entry was left out."""

    composite = True

    def __init__(self, *args: Any, specs: list[Spec], name_item: Callable[[int], str],
                 max_items: int | None = None, **kwargs: Any) -> None:
        self.specs, self.name_item, self.max_items = specs, name_item, max_items
        super().__init__(*args, **kwargs)
        self.own_errors: list[str] = []
        self.sent: list[int] = []

    def _add_entry(self, *args: Any, **kwargs: Any) -> Field:
        entry = super()._add_entry(*args, **kwargs)
        entry.label = Label(entry.id, self.name_item(len(self.entries)))
        return entry

    @property
    def may_add(self) -> bool:
        return not self.max_items or len(self.entries) < self.max_items

    def entry_at(self, index: str) -> Field | None:
        """The entry the service's item index names (None: no such entry)."""
        if not index.isdigit():
            return None
        sent = self.sent or list(range(len(self.entries)))
        return self.entries[sent[int(index)]] if int(index) < len(sent) else None

    def remove(self, position: int) -> None:
        if 0 <= position < len(self.entries):
            del self.entries[position]
            for n, entry in enumerate(self.entries, 1):
                entry.label = Label(entry.id, self.name_item(n))

    def add_blank(self) -> None:
        """One empty item at the end to type in, unless the last one is still empty or the list is full."""
        if self.may_add and (not self.entries or _item_value(self.entries[-1], self.specs)):
            self.append_entry()


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


def _items(spec: Spec, ctx: Context) -> UnboundField:
    entry = Group(form_class(spec.get("fields") or [], ctx))
    return Items(entry, specs=spec.get("fields") or [], name_item=lambda n: item_label(spec, ctx, n),
                 max_items=spec.get("max_items"), min_entries=max(spec.get("min_items") or 0, 1), **_common(spec, ctx))


def _boolean(spec: Spec, ctx: Context) -> UnboundField:
    return BooleanField(**_common(spec, ctx))


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


def _item_value(entry: Field, specs: list[Spec]) -> dict[str, Any]:
    """An item's values; an item with nothing typed (an unticked box is nothing) is {}."""
    values = values_to_api(entry.form, specs)
    return values if any(v is not False for v in values.values()) else {}


def _listed(f: Field, spec: Spec) -> Any:
    """The items typed, in page order; entirely empty ones are left out (an "Add another" not used)."""
    items = [(position, _item_value(entry, f.specs)) for position, entry in enumerate(f.entries)]
    f.sent = [position for position, value in items if value]
    return [value for _position, value in items if value] or None


def _ticked(f: Field, spec: Spec) -> Any:
    """A box that must be ticked (required: "I confirm …") is left out unticked, so a draft saves and the
    service says at submission that it is missing; any other box is true or false."""
    return True if f.data else (None if spec.get("required") else False)


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


def _set_listed(f: Field, spec: Spec, value: Any) -> None:
    while f.entries:
        f.pop_entry()
    for item in value if isinstance(value, list) else []:
        values_from_api(f.append_entry().form, f.specs, item if isinstance(item, dict) else {})
    while len(f.entries) < f.min_entries:
        f.append_entry()


def _set_ticked(f: Field, spec: Spec, value: Any) -> None:
    f.data = value is True


# -- stored values on a page ----------------------------------------------------------------------------------


def _show_text(spec: Spec, value: Any, ctx: Context) -> Shown:
    return Shown(label_of(spec, ctx), text=", ".join(map(str, value)) if isinstance(value, list) else str(value))


def _show_date(spec: Spec, value: Any, ctx: Context) -> Shown:
    """A date in the reader's format ("2031年5月2日", "May 2, 2031"); anything else as it is."""
    try:
        return Shown(label_of(spec, ctx), text=format_date(date.fromisoformat(str(value)), "long"))
    except ValueError:
        return _show_text(spec, value, ctx)


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


def _show_items(spec: Spec, value: Any, ctx: Context) -> Shown:
    if not isinstance(value, list):
        return _show_text(spec, value, ctx)
    specs = spec.get("fields") or []
    return Shown(label_of(spec, ctx), entries=tuple(
        Shown(item_label(spec, ctx, n), parts=tuple(shown(specs, item if isinstance(item, dict) else {}, ctx)))
        for n, item in enumerate(value, 1)))


def _show_ticked(spec: Spec, value: Any, ctx: Context) -> Shown:
    return Shown(label_of(spec, ctx), text=_("Yes") if value is True else _("No"))


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
    "date": Widget(_date, show=_show_date),
    "decimal": Widget(_decimal),
    "integer": Widget(_integer, to_api=_whole),
    "choice": Widget(_choice, show=_show_choice),
    "country": Widget(_country, to_api=_upper, show=_show_country),
    "countries": Widget(_countries, to_api=_codes, from_api=_set_codes, show=_show_countries),
    "partner_choices": Widget(_partner_choices, to_api=_ranked, from_api=_set_ranked, show=_show_ranked),
    "term": Widget(_term, from_api=_set_term, show=_show_term),
    "group": Widget(_group, to_api=_grouped, from_api=_set_grouped, show=_show_group),
    "items": Widget(_items, to_api=_listed, from_api=_set_listed, show=_show_items),
    "boolean": Widget(_boolean, to_api=_ticked, from_api=_set_ticked, show=_show_ticked),
}


def widget(spec: Spec) -> Widget:
    """A widget this gateway does not know yet is a one-line text: the form still works, the service judges."""
    return WIDGETS.get(spec.get("widget", ""), WIDGETS["line"])


# -- a whole set of fields --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListChange:
    """An "Add another" or a "Remove" button pressed under a list of items (its field's name)."""

    name: str
    add: bool
    max_items: int | None = None

    def anchor(self, stored: dict[str, Any]) -> str:
        """Where the page shown after saving opens: the new empty item, or the list."""
        count = len(stored.get(self.name) or [])
        return f"{self.name}-{count}" if self.add and (not self.max_items or count < self.max_items) else self.name


def list_change(form: Form, action: str) -> ListChange | None:
    """The button pressed: 'add:members', or 'remove:members:2' (the item's position on the page), else None.
    A removed item leaves the posted form at once, so the draft is saved without it; the empty item to add is
    offered by the page shown after saving (`add_blank`), so an "Add another" pressed twice adds one."""
    verb, _sep, rest = action.partition(":")
    name, _sep, position = rest.partition(":")
    field = getattr(form, "_fields", {}).get(name)
    if verb not in ("add", "remove") or not isinstance(field, Items):
        return None
    if verb == "remove" and position.isdecimal():  # not isdigit: int("²") fails
        field.remove(int(position))
    return ListChange(name, verb == "add", field.max_items)


def add_blank(form: Form, name: str) -> None:
    """One more empty item in the list called `name`, if the form has such a list."""
    field = getattr(form, "_fields", {}).get(name)
    if isinstance(field, Items):
        field.add_blank()


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
