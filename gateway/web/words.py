"""Codes in words, for the templates' macros (_macros.html): a choice value of a kind's field by its label in
the kind's metadata (GET /api/v1/kinds), a term ("2027-fall" → "2027 秋季学期" / "Fall 2027"), a status and a
reviewer's outcome (web/messages.py); code_word() for the word modules' own tables. A code the metadata does
not name is shown as it is, never an error.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from gateway.web import kinds, messages
from gateway.web.services import ServiceDown
from gateway.web.widgets import page_language, term_words, words


def code_word(table: dict[str, Any], code: Any) -> str:
    """A service's code by its words in one of the word modules' tables (agreement_words, passport_words); a code
    the table does not list is shown as it came, None as nothing."""
    return str(table.get(str(code), code if code is not None else ""))


def _spec(kind: str, field: str) -> dict[str, Any] | None:
    """A field's metadata by its dotted name ('language_certificate.type'); None when the kind has no such field."""
    try:
        found = kinds.get(kind)
    except ServiceDown:
        return None
    specs, spec = (found.fields if found else []), None
    for part in field.split("."):
        spec = next((s for s in specs if s["name"] == part), None)
        if spec is None:
            return None
        specs = spec.get("fields") or []
    return spec


def choice_name(kind: str, field: str, value: Any) -> str:
    """`{{ choice(kind, "purpose", "joint_research") }}` → 'Joint research' / '合作研究'; a term in words."""
    text = "" if value is None else str(value)
    spec = _spec(kind, field)
    for choice in (spec or {}).get("choices") or []:
        if choice.get("value") == text:
            return words(choice.get("labels"), page_language(), text)
    return term_words(text)


def install(app: Flask) -> None:
    app.jinja_env.globals.update(choice_name=choice_name, term_name=term_words, status_name=messages.status_name,
                                 decision_name=messages.decision_name)
