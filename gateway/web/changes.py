"""What changed since the last round, for the reviewer of a later round: the fields (old → new, by the kind's
labels, in its order) and the documents added or removed, between the application's last two submissions
(GET /api/v1/applications/<id>/submissions). The change pages (change_pages.py) compare an approved trip with the
change asked for the same way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gateway.web import kinds, services
from gateway.web.kinds import Kind
from gateway.web.widgets import Context, Shown


@dataclass(frozen=True)
class Changes:
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, now); "" for none
    added: list[str] = field(default_factory=list)    # "Transcript: grades.pdf"
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.added or self.removed)


def _text(value: Shown) -> str:
    """One shown value as one line: a list joined in its order, a group as 'part: value' pairs."""
    if value.parts:
        return "; ".join(f"{p.label}: {_text(p)}" for p in value.parts)
    return "; ".join(value.items) if value.items else value.text


def _documents(kind: Kind, submission: dict[str, Any]) -> Counter[str]:
    return Counter(f"{kind.document_label(d['doc_type'])}: {d['filename']}" for d in submission.get("documents", []))


def _lines(values: list[Shown]) -> dict[str, str]:
    """Label → one line; a list of items one line per item ("Itinerary › Itinerary: 2"), so a changed stop or
    member reads as itself, not as the whole list."""
    lines: dict[str, str] = {}
    for value in values:
        if value.entries:
            lines.update((f"{value.label} › {entry.label}", _text(entry)) for entry in value.entries)
        else:
            lines[value.label] = _text(value)
    return lines


def compare(kind: Kind, before: dict[str, Any], now: dict[str, Any], ctx: Context) -> Changes:
    old = _lines(kind.values(before.get("form") or {}, ctx))
    new = _lines(kind.values(now.get("form") or {}, ctx))
    labels = [*new, *(label for label in old if label not in new)]  # the kind's order; dropped fields last
    changed = [(label, old.get(label, ""), new.get(label, "")) for label in labels if old.get(label) != new.get(label)]
    had, has = _documents(kind, before), _documents(kind, now)
    return Changes(changed, sorted((has - had).elements()), sorted((had - has).elements()))


def since_last_round(application: dict[str, Any], ctx: Context) -> Changes | None:
    """None when there is nothing to compare (a first round, or rounds submitted before snapshots were kept)."""
    reply = services.get(f"applications/{application['id']}/submissions")
    submissions = reply.data if reply.ok and isinstance(reply.data, list) else []
    if len(submissions) < 2:
        return None
    kind = kinds.get(application["kind"]) or Kind(application["kind"], {})
    return compare(kind, submissions[-2], submissions[-1], ctx)
