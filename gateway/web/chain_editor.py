"""The review-chain editor's form: a row per level (its type — a decision, or a publicity period (公示) of so many
working days —, role, scope, days, conditions chosen from the reviews service's registry with their thresholds, and
whether a change after approval is re-approved from it), read from a chain or from the posted form, changed by the row
buttons (add, move up/down, remove) without JavaScript, turned into the levels the API takes, described in
words as a preview, and the service's 422 errors (`levels.0.days`) placed on their row and field by label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.web import role_words, services

SLOTS = 2          # conditions a level offers ("applies when any holds"): the faculty chain uses two
MAX_ROWS = 8       # as many levels as the reviews service takes
# the reviews service's refusal of a level's days, listed so that the page says it in its language
SERVICE_MESSAGES = [_l("Must be greater than or equal to 1 and less than or equal to 60."),
                    _l("A chain has at most one publicity level.")]
FIELDS = {"role": _l("Role"), "scope": _l("Who reviews"), "days": _l("Days to decide"),
          "condition": _l("Condition"), "type": _l("Type"), "working_days": _l("Working days of publicity"),
          "changes": _l("A change after approval is re-approved from this level")}
DECISION, PUBLICITY = "decision", "publicity"
TYPES = {DECISION: _l("Decision (approve, return or reject)"),
         PUBLICITY: _l("Publicity (公示, a period of working days)")}


@dataclass
class Row:
    role: str = ""
    scope: str = ""
    days: str = ""
    type: str = ""  # decision ("" too) or publicity; a type this editor does not know is kept as it came
    working_days: str = ""  # a publicity level's period
    changes: bool = False   # a change after approval is re-approved from here
    conditions: list[tuple[str, str]] = field(default_factory=list)  # (condition name, threshold as typed)
    errors: dict[str, list[str]] = field(default_factory=dict)        # field → messages in words

    def __post_init__(self) -> None:
        self.conditions = (self.conditions + [("", "")] * SLOTS)[:max(SLOTS, len(self.conditions))]

    @property
    def blank(self) -> bool:
        return not (self.role or self.days.strip() or self.working_days.strip() or self.changes
                    or self.type not in ("", DECISION) or any(name for name, _value in self.conditions))


def from_levels(levels: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for level in levels:
        predicates = (level.get("condition") or {}).get("any", [])
        rows.append(Row(role=str(level.get("role", "")), scope=str(level.get("scope", "")),
                        days=str(level.get("days", "")), type=str(level.get("type") or ""),
                        working_days=str(level.get("working_days") or ""), changes=bool(level.get("changes")),
                        # a condition that takes no number (true: "an exception is asked for") shows no limit
                        conditions=[(name, "" if isinstance(value, bool) else str(value))
                                    for p in predicates for name, value in p.items()]))
    return rows


def from_form(form: Mapping[str, str]) -> list[Row]:
    try:
        count = min(int(form.get("rows", "0")), MAX_ROWS + 1)
    except ValueError:
        count = 0
    rows = []
    for i in range(count):
        slots = [(form.get(f"condition-{i}-{j}", ""), form.get(f"threshold-{i}-{j}", "").strip())
                 for j in range(SLOTS)]
        rows.append(Row(role=form.get(f"role-{i}", ""), scope=form.get(f"scope-{i}", ""),
                        days=form.get(f"days-{i}", "").strip(), type=form.get(f"type-{i}", ""),
                        working_days=form.get(f"working_days-{i}", "").strip(),
                        changes=form.get(f"changes-{i}") == "y", conditions=slots))
    return rows


def act(rows: list[Row], action: str) -> list[Row]:
    """A row button's effect: `add`, `up-N`, `down-N`, `remove-N` (anything else leaves the rows)."""
    rows = list(rows)
    verb, _sep, index = action.partition("-")
    i = int(index) if index.isdigit() else -1
    if verb == "add" and len(rows) <= MAX_ROWS:
        rows.append(Row())
    elif verb == "up" and 0 < i < len(rows):
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and 0 <= i < len(rows) - 1:
        rows[i], rows[i + 1] = rows[i + 1], rows[i]
    elif verb == "remove" and 0 <= i < len(rows):
        del rows[i]
    return rows


def with_blank(rows: list[Row]) -> list[Row]:
    """The rows plus one empty row to fill in (a new level), while the chain has room."""
    return rows + [Row()] if len(rows) < MAX_ROWS and (not rows or not rows[-1].blank) else rows


# -- to the API and back ----------------------------------------------------------------------------------

def _threshold(text: str, schema: Mapping[str, Any]) -> Any:
    """A typed threshold as its schema wants it, or None when it is not one (the row says why). A condition with
    one possible threshold (`const`: "an exception is asked for") takes it whatever was typed."""
    if "const" in schema:
        return schema["const"]
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if types == ["integer"]:
        return int(text) if text.isdigit() and int(text) >= schema.get("minimum", 0) else None
    pattern = schema.get("pattern")
    return text if text and (not pattern or re.fullmatch(pattern, text)) else None


def to_levels(rows: list[Row], registry: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """The filled rows as the API's levels; None when a row has errors this page can name itself (a condition
    without a threshold, a threshold the condition does not take), which are set on the rows."""
    levels: list[dict[str, Any]] = []
    for row in (r for r in rows if not r.blank):
        if not row.role:
            row.errors["role"] = [_("Choose who decides at this level.")]
        # isdecimal, not isdigit: "²" is a digit that int() refuses (a 500)
        if not row.days.isdecimal():
            row.errors["days"] = [_("Enter a whole number of days, e.g. 5.")]
        level: dict[str, Any] = {"role": row.role, "scope": row.scope,
                                 "days": int(row.days) if row.days.isdecimal() else row.days}
        if row.type and row.type != DECISION:
            level["type"] = row.type
        if row.type == PUBLICITY:
            if not row.working_days.isdecimal():
                row.errors["working_days"] = [_("Enter the publicity period in working days, e.g. 5.")]
            level["working_days"] = int(row.working_days) if row.working_days.isdecimal() else row.working_days
        if row.changes:
            level["changes"] = True
        predicates = []
        for name, text in row.conditions:
            if not name:
                continue
            value = _threshold(text, registry.get(name, {}).get("threshold", {}))
            if value is None:
                row.errors.setdefault("condition", []).append(
                    _("Enter a limit this condition can compare with, e.g. 30 or 50000.00."))
            predicates.append({name: value})
        if predicates:
            level["condition"] = {"any": predicates}
        levels.append(level)
    return None if any(r.errors for r in rows) else levels


_KEY = re.compile(r"^levels\.(\d+)\.(\w+)")


def place_errors(rows: list[Row], errors: Mapping[str, list[str]]) -> list[str]:
    """The service's `levels.N.field` errors set on the N-th filled row by field; the rest (the chain as a
    whole, a condition the service refused) returned as lines in words."""
    filled = [r for r in rows if not r.blank]
    general = []
    for key, messages in errors.items():
        found = _KEY.match(key)
        words = "; ".join(services.translated(m) for m in messages)
        if found and int(found.group(1)) < len(filled) and found.group(2) in FIELDS:
            filled[int(found.group(1))].errors.setdefault(found.group(2), []).append(words)
        else:
            general.append(words)
    return general


def summary(rows: list[Row]) -> list[tuple[str, str]]:
    """(anchor, "Level 1 — Days to decide: …") for the error summary at the top, in row order."""
    lines, filled = [], [id(r) for r in rows if not r.blank]
    for i, row in enumerate(rows):
        for name, messages in row.errors.items():
            text = _("Level %(n)d — %(field)s: %(error)s", n=filled.index(id(row)) + 1, field=FIELDS[name],
                     error="; ".join(messages))
            lines.append((f"{name}-{i}" if name != "condition" else f"condition-{i}-0", text))
    return lines


# -- in words ----------------------------------------------------------------------------------------

def condition_label(condition: Mapping[str, Any], language: str, value: str = "…") -> str:
    labels = condition.get("labels", {})
    return str(labels.get(language) or labels.get("en") or condition.get("name", "")).replace("{value}", value)


def preview(rows: list[Row], registry: Mapping[str, Mapping[str, Any]], language: str) -> list[str]:
    """Each filled level as a sentence in the page's language."""
    sentences = []
    for n, row in enumerate((r for r in rows if not r.blank), start=1):
        if row.type == PUBLICITY:
            text = _("Level %(n)d: publicity (公示) for %(working_days)s working days, watched by %(role)s (%(scope)s)",
                     n=n, working_days=row.working_days or "?", role=role_words.role(row.role),
                     scope=role_words.scope(row.scope))
        else:
            text = _("Level %(n)d: %(role)s (%(scope)s) decides within %(days)s days",
                     n=n, role=role_words.role(row.role), scope=role_words.scope(row.scope), days=row.days or "?")
        when = [condition_label(registry.get(name, {"name": name}), language, value)
                for name, value in row.conditions if name]
        if when:
            text += _(", only when %(conditions)s", conditions=_(" or ").join(when))
        text += _(".")
        if row.changes:
            text += " " + _("A change after approval is re-approved from here.")
        sentences.append(text)
    return sentences
