"""The application kinds as the applications service describes them (GET /api/v1/kinds): their names in the
reader's language, who files them, their documents and their form fields. The pages keep no copy of their own,
so a kind added to the service shows up here with no gateway edit.

The list is read once per request and kept a few seconds per app: most pages name a kind somewhere, and kinds
change with a deploy (or a test that registers one), so a short memory costs little and goes stale briefly.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from flask_babel import gettext as _

from gateway.web import services
from gateway.web.services import ServiceDown
from gateway.web.widgets import Context, Shown, Spec, item_label, label_of, page_language, shown, words

TTL_SECONDS = 5.0
MISSING_DOCUMENT = re.compile(r"^Upload a document of type '([\w.-]+)'\.\Z")


@dataclass(frozen=True)
class Kind:
    name: str
    about: dict[str, Any]  # as the API sent it

    @property
    def label(self) -> str:
        return words(self.about.get("labels"), page_language(), self.name)

    @property
    def needs_program(self) -> bool:
        return bool(self.about.get("needs_program"))

    @property
    def fields(self) -> list[Spec]:
        return list(self.about.get("fields") or [])

    def may_be_filed_by(self, user: Any) -> bool:
        """Only to offer the right forms: the applications service decides."""
        return user is not None and any(user.has_role(role) for role in self.about.get("filed_by") or [])

    def document_choices(self) -> list[tuple[str, str]]:
        lang = page_language()
        return [(d["type"], words(d.get("labels"), lang, d["type"])) for d in self.about.get("documents") or []]

    def document_label(self, doc_type: str) -> str:
        return dict(self.document_choices()).get(doc_type, doc_type)

    def field_label(self, key: str) -> str:
        """A service error's key (`form.language_certificate.score`) in words: 'Language certificate › Score'."""
        if key == "documents":
            return _("Documents")
        specs, names, lang = self.fields, [], page_language()
        spec: Spec | None = None
        for part in key.removeprefix("form.").split("."):
            if part.isdigit() and spec is not None and spec.get("widget") == "items":  # "Members › Member 3"
                names.append(item_label(spec, Context(lang), int(part) + 1))
                continue
            spec = next((s for s in specs if s["name"] == part), None)
            if spec is None:
                break
            names.append(label_of(spec, Context(lang)))
            specs = spec.get("fields") or []
        return " › ".join(names) or key.removeprefix("form.")

    def explain(self, key: str, message: str) -> str:
        """One error of the service, labelled in words; a missing document named by its label, so that a new
        kind's documents read as well as the first four's."""
        missing = MISSING_DOCUMENT.match(message)
        if missing:
            return _("Upload this document: %(document)s.", document=self.document_label(missing.group(1)))
        return f"{self.field_label(key)}: {services.translated(message)}"

    def values(self, form: dict[str, Any], ctx: Context) -> list[Shown]:
        return list(shown(self.fields, form, ctx))


def catalog() -> dict[str, Kind]:
    """Every kind, in the service's order. ServiceDown when the applications service is not answering."""
    if "kinds" in g:
        return g.kinds  # type: ignore[no-any-return]
    if g.get("user") is None:
        return {}  # the API is for signed-in users; a page without one names no kind
    cache = current_app.extensions.setdefault("web_kinds", {})
    if cache.get("until", 0.0) > time.monotonic():
        g.kinds = cache["kinds"]
        return g.kinds  # type: ignore[no-any-return]
    reply = services.get("kinds")
    items = (reply.data or {}).get("items", []) if reply.ok else []
    g.kinds = {item["name"]: Kind(item["name"], item) for item in items}
    if reply.ok:  # a refusal (a signed-out caller) is not kept for the next reader
        cache.update(kinds=g.kinds, until=time.monotonic() + TTL_SECONDS)
    return g.kinds  # type: ignore[no-any-return]


def get(name: str) -> Kind | None:
    return catalog().get(name)


def labels() -> dict[str, str]:
    """Name → label in the reader's language, for filters and tables; empty when the service is down."""
    try:
        return {name: kind.label for name, kind in catalog().items()}
    except ServiceDown:
        return {}


def kind_name(name: str) -> str:
    """A kind in words (the name itself when the service cannot say)."""
    return labels().get(name, name)


def document_name(kind: str, doc_type: str) -> str:
    try:
        found = get(kind)
    except ServiceDown:
        found = None
    return found.document_label(doc_type) if found else doc_type


def title_of(item: dict[str, Any]) -> str:
    """An application's (or task's) title in the reader's language, where the service gives both."""
    return words(item.get("titles"), page_language(), str(item.get("title") or ""))


def forget(app: Flask) -> None:
    """Read the kinds afresh on the next request (tests that add a kind)."""
    app.extensions.pop("web_kinds", None)


def install(app: Flask) -> None:
    app.jinja_env.globals.update(kind_name=kind_name, document_name=document_name, title_of=title_of)
