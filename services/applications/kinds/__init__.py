"""The kinds of application, one module each in this package, and their registry.

A kind module holds all of its concept: its name and labels, its form (marshmallow) and the fields' metadata in
form order, its rules beyond single fields, its documents, its titles, its facts for statistics, who files it,
whether it needs a program, what a selection for places reads of it, its longest period (the registry checks the
period of a kind with dates), its default review chain and the summary indicators it counts toward. It exposes
it as `KIND`; the modules here are found with pkgutil on first use, and a test (or a plugin) may `register()`
another at run time. A kind's name matches the event catalog's kind pattern. Adding a kind is adding a module:
nothing else names kinds.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, validate

from eventbus import catalog
from services.applications.kinds.period import PERIOD_FIELDS, period_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from services.applications.models import Program

Labels = Mapping[str, str]  # {"en": ..., "zh": ...}
LANGUAGES = ("en", "zh")
# The widgets the gateway knows how to render: a contract with the pages, not to be extended lightly.
WIDGETS = frozenset({"line", "text", "date", "decimal", "integer", "boolean", "choice", "country", "countries",
                     "partner_choices", "term", "group", "items"})
NESTED = frozenset({"group", "items"})  # widgets with fields of their own: a group, or a list of such groups
# How a kind counts toward a summary indicator: one per approved application, or its people added up.
COUNTS = frozenset({"applications", "people"})


class UnknownKind(KeyError):
    """No kind of that name is registered."""

    def __str__(self) -> str:
        return f"Unknown kind {self.args[0]!r}; known kinds: {', '.join(names())}."


def labels(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


@dataclass(frozen=True)
class Choice:
    value: str
    labels: Labels


@dataclass(frozen=True)
class Field:
    """What the pages need to show one form field: its widget and words. Its constraints (required, bounds,
    lengths, choices) are read from the form schema, so they are stated once."""

    name: str
    widget: str
    labels: Labels
    help: Labels | None = None
    choices: tuple[Choice, ...] | None = None  # the words for the schema's OneOf values, in this order
    fields: tuple[Field, ...] | None = None  # a group's (or one item's) own fields, in order


@dataclass(frozen=True)
class Document:
    type: str
    labels: Labels


OTHER_DOCUMENT = Document("other", labels("Other", "其他"))
Facts = dict[str, Any]


def no_rules(form: dict[str, Any], program: Program | None, today: date) -> dict[str, str]:
    return {}


class CannotExtend(ValueError):
    """The kind's form has no end to move (a student's term, say): an extension is refused with this reason."""


def end_date_moved(form: dict[str, Any], end: date) -> dict[str, Any]:
    """The default `with_end`: the form with its `end_date` moved (a copy; the approved form stands)."""
    if "end_date" not in form:
        raise CannotExtend("This application's period has no end date to move; ask the office to change it.")
    return {**form, "end_date": end.isoformat()}


@dataclass(frozen=True)
class Kind:
    name: str
    labels: Labels
    form: type[Schema]
    fields: tuple[Field, ...]  # every field of `form`, in the order the pages ask for them
    filed_by: frozenset[str]  # roles allowed to file it
    needs_program: bool
    documents: tuple[Document, ...]  # the required ones; "other" is always allowed too
    # (stored form, program) → {"en": ..., "zh": ...}; the English one is stored as the application's title
    title: Callable[[dict[str, Any], Program | None], Labels]
    # (stored form, program) → direction, people, partner_id, partner_name, country, optionally region (the
    # office's choice for a partner), start_date, end_date (dates or None); facts.py adds the rest
    facts: Callable[[dict[str, Any], Program | None], Facts]
    default_chain: tuple[Mapping[str, Any], ...]  # review levels, handed to the reviews service as data
    counts: Mapping[str, str] = field(default_factory=dict)  # summary indicator key → one of COUNTS
    # (loaded form, program, today) → field → message: the kind's own rules beyond single fields and its period. A
    # nested field's error is keyed by its dotted path ("members.2.name"); the service nests it for the reply.
    rules: Callable[[dict[str, Any], Program | None, date], dict[str, str]] = no_rules
    # (session, school, form) → the office's reference data that `checks` and `assess` read (rule tables,
    # allowances, the calendar, the school's plan): loaded by the API, so the rules stay pure. None: none needed.
    reference: Callable[[Session, str, dict[str, Any]], Any] | None = None
    # (loaded form, reference, today) → field → message: the rules of the whole form, which read the office's
    # reference data (None where none was loaded: a check that needs it then holds its peace); judged at submission
    # and for a change, not on a draft's save (a group half entered breaks the limits on its way)
    checks: Callable[[dict[str, Any], Any, date], dict[str, str]] | None = None
    # (stored form, reference) → what the review chains' conditions read beyond the mobility facts, sent with the
    # submission as `assessment` (rule exceptions asked for, a trip outside the school's plan)
    assess: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    # stored form → the public notice of the application (公示: only what the rules let everyone see), sent with
    # the submission as `notice`; None: the kind has no public notice
    notice: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The longest allowed period, in days (None: no limit). For a kind with dates (start_date and end_date in
    # its form) the registry checks the period: a future start, the end not before it, at most max_days.
    max_days: int | None = None
    # Whether final approval issues a numbered 任务批件 (approvals.py): its number, PDF and verification page.
    approval_document: bool = False
    # (stored form, new end) → the stored form as it would be with the stay ending then (a copy), for an extension
    # the traveller asked for after approval (extensions.py); CannotExtend when the form has no end to move
    with_end: Callable[[dict[str, Any], date], dict[str, Any]] = end_date_moved
    # (stored form, the applicant's name) → who travels: [{"name", "staff_number" (or None), "role"}], role one of
    # leader, member, student, expert, event; sent as `travellers` on the application's events (events.py).
    # None: the applicant alone, as a student if students file the kind, else as the one who leads.
    travellers: Callable[[dict[str, Any], str], list[dict[str, Any]]] | None = None
    # (stored form, program) → what a selection for places ranks and allocates on: {"choices": [{"partner_id",
    # "name", "country"}] first choice first, "gpa", "language": {"type", "score"}, "term"} (decimals as strings,
    # null where the form has none yet); sent as `selection` on the application's events (events.py), which
    # placements copies. None: the kind competes for no places.
    selection: Callable[[dict[str, Any], Program | None], dict[str, Any]] | None = None

    @cached_property
    def schema(self) -> Schema:
        """The form's schema, built once: building one copies every field, and a schema keeps nothing of a load,
        so every request and thread shares it."""
        return self.form()

    @property
    def has_period(self) -> bool:
        return PERIOD_FIELDS <= set(self.schema.fields)

    def rule_errors(self, form: dict[str, Any], program: Program | None, today: date,
                    reference: Any = None, *, complete: bool = True) -> dict[str, str]:
        """Every rule beyond single fields: the period's where the kind has dates, then the kind's own, then (for
        a whole form: a draft may be on its way there) those of the whole trip against the office's rules."""
        errors = period_errors(form, today, self.max_days) if self.has_period else {}
        checked = self.checks(form, reference, today) if self.checks is not None and complete else {}
        return {**errors, **self.rules(form, program, today), **checked}

    def travellers_of(self, form: dict[str, Any], applicant_name: str) -> list[dict[str, Any]]:
        if self.travellers is not None:
            return self.travellers(form, applicant_name)
        role = "student" if "student" in self.filed_by else "leader"
        return [{"name": applicant_name, "staff_number": None, "role": role}]

    @property
    def required_documents(self) -> tuple[str, ...]:
        return tuple(d.type for d in self.documents)

    @property
    def all_documents(self) -> tuple[Document, ...]:
        return (*self.documents, OTHER_DOCUMENT)

    @property
    def document_types(self) -> tuple[str, ...]:
        return tuple(d.type for d in self.all_documents)


# The registry is read by every request and may change at run time (a test's kind, MOBILITY_KIND_MODULES loaded
# by several threads): each read takes a snapshot and each change looks up and inserts under one lock. The lock
# is re-entrant because discovery imports kind modules while holding it, and a module may call kinds.* itself.
_registry: dict[str, Kind] = {}
_lock = threading.RLock()
_discovered = False


def _kind_modules() -> list[str]:
    return [f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__)]


def _discover() -> None:
    """Import every kind module of this package once and register its KIND."""
    global _discovered
    if _discovered:  # the fast path of every later call: discovery happens once
        return
    with _lock:
        if _discovered:  # another thread finished it while this one waited
            return
        # A module calling kinds.* while it is imported comes back here in this thread (the lock is re-entrant):
        # that inner pass finds the modules imported already, and the module sees every kind.
        for module_name in _kind_modules():
            kind = getattr(importlib.import_module(module_name), "KIND", None)
            if isinstance(kind, Kind):
                _check(kind)
                _registry.setdefault(kind.name, kind)
        _discovered = True


def _add(kind: Kind, *, again: bool) -> None:
    """Register `kind` (checked first); with `again`, the very same Kind registered already is no error."""
    _check(kind)
    _discover()
    with _lock:
        known = _registry.get(kind.name)
        if known is None:
            _registry[kind.name] = kind
        elif not (again and known is kind):
            raise ValueError(f"A kind named {kind.name!r} is registered already.")


def register(kind: Kind) -> Kind:
    """Add a kind at run time (a test module's, say). Its name must be new."""
    _add(kind, again=False)
    return kind


def load(modules: Iterable[str]) -> None:
    """Kinds kept outside this package (an institution's own, or a test's: MOBILITY_KIND_MODULES): each module's
    KIND registered once, so the API and the worker of every process know the same kinds."""
    for module_name in modules:
        kind = getattr(importlib.import_module(module_name), "KIND", None)
        if not isinstance(kind, Kind):
            raise ValueError(f"{module_name} has no KIND: a kind module names its Kind `KIND`.")
        _add(kind, again=True)


def unregister(name: str) -> None:
    """Remove a kind registered at run time (tests clean up after themselves)."""
    _discover()
    with _lock:
        _registry.pop(name, None)


def get(name: str) -> Kind:
    _discover()
    with _lock:
        kind = _registry.get(name)
    if kind is None:
        raise UnknownKind(name)
    return kind


def all_kinds() -> list[Kind]:
    """Every kind, by name: a snapshot, so a kind registered meanwhile does not disturb the caller."""
    _discover()
    with _lock:
        snapshot = dict(_registry)
    return [snapshot[name] for name in sorted(snapshot)]


def names() -> list[str]:
    return [k.name for k in all_kinds()]


def default_chains() -> dict[str, list[dict[str, Any]]]:
    """Each kind's default review chain (levels as plain data), for seeding the reviews service."""
    return {k.name: copy.deepcopy([dict(level) for level in k.default_chain]) for k in all_kinds()}


def _check(kind: Kind) -> None:
    """A kind that the pages could not render, or whose words are missing, is refused at registration."""
    problems = []
    if not re.fullmatch(catalog.kind_pattern(), kind.name):  # else every event naming it would be refused
        problems.append(f"the name does not match the event catalog's kind pattern {catalog.kind_pattern()}")
    for words in (kind.labels, *(d.labels for d in kind.all_documents)):
        if set(words) != set(LANGUAGES):
            problems.append(f"labels {dict(words)} are not exactly {LANGUAGES}")
    problems += _field_problems(kind.schema, kind.fields, kind.name)
    if kind.max_days is not None and not kind.has_period:
        problems.append("max_days is set but the form has no start_date and end_date to limit")
    problems += [f"unknown count {how!r} for {key!r}" for key, how in kind.counts.items() if how not in COUNTS]
    if problems:
        raise ValueError(f"Kind {kind.name!r}: " + "; ".join(problems))


def _field_problems(schema: Schema, described: tuple[Field, ...], where: str) -> list[str]:
    declared = set(schema.fields)
    named = [f.name for f in described]
    problems = []
    if set(named) != declared or len(named) != len(declared):
        problems.append(f"{where}: fields {named} do not match the form's {sorted(declared)}")
    for meta in described:
        if meta.widget not in WIDGETS:
            problems.append(f"{where}.{meta.name}: unknown widget {meta.widget!r}")
        if set(meta.labels) != set(LANGUAGES) or (meta.help is not None and set(meta.help) != set(LANGUAGES)):
            problems.append(f"{where}.{meta.name}: labels and help need exactly {LANGUAGES}")
        marshmallow_field = schema.fields.get(meta.name)
        if meta.widget in NESTED:
            nested = nested_schema(marshmallow_field)
            if meta.fields is None or not isinstance(nested, Schema):
                problems.append(f"{where}.{meta.name}: a {meta.widget} needs a nested schema and its fields")
            else:
                problems += _field_problems(nested, meta.fields, f"{where}.{meta.name}")
        if meta.widget == "choice":
            allowed = next((v.choices for v in getattr(marshmallow_field, "validators", ())
                            if isinstance(v, validate.OneOf)), None)
            offered = [c.value for c in meta.choices or ()]
            if allowed is None or list(allowed) != offered:
                problems.append(f"{where}.{meta.name}: choices {offered} are not the form's {allowed}")
    return problems


def nested_schema(marshmallow_field: Any) -> Schema | None:
    """The schema of a group (Nested) or of one item of a list of groups (List(Nested)); None for others."""
    inner = getattr(marshmallow_field, "inner", marshmallow_field)
    schema = getattr(inner, "schema", None)
    return schema if isinstance(schema, Schema) else None
