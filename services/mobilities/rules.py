"""The office's report rules (per kind and staff-trip category) and its school-hold switches: read with the
defaults of kinds.DEFAULT_RULES where the office set nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mobilities.kinds import DEFAULT_RULES
from services.mobilities.models import ReportRule, SchoolHold

ANY = "*"


@dataclass(frozen=True)
class Rule:
    kind: str
    category: str
    min_chars: int
    photos: int
    due_days: int
    publish_days: int
    attendee_list: bool


def _from_row(row: ReportRule) -> Rule:
    return Rule(row.kind, row.category, row.min_chars, row.photos, row.due_days, row.publish_days,
                row.attendee_list)


def rule_for(session: Session, kind: str, category: str | None) -> Rule:
    """The category's own rule, else the kind's, else the default."""
    for key in ((kind, category or ANY), (kind, ANY)):
        row = session.get(ReportRule, key)
        if row is not None:
            return _from_row(row)
    min_chars, photos, due_days, publish_days, attendees = DEFAULT_RULES.get(kind, (0, 0, 15, 15, False))
    return Rule(kind, ANY, min_chars, photos, due_days, publish_days, attendees)


def all_rules(session: Session) -> list[Rule]:
    stored = {(r.kind, r.category): _from_row(r) for r in session.scalars(select(ReportRule))}
    for kind in DEFAULT_RULES:
        stored.setdefault((kind, ANY), rule_for(session, kind, None))
    return [stored[key] for key in sorted(stored)]


def set_rule(session: Session, rule: Rule, by: str, now: datetime) -> None:
    row = session.get(ReportRule, (rule.kind, rule.category))
    if row is None:
        row = ReportRule(kind=rule.kind, category=rule.category)
        session.add(row)
    row.min_chars, row.photos, row.due_days = rule.min_chars, rule.photos, rule.due_days
    row.publish_days, row.attendee_list, row.updated_by, row.updated_at = (
        rule.publish_days, rule.attendee_list, by, now)


def school_holds_on(session: Session, school: str) -> bool:
    row = session.get(SchoolHold, school)
    return bool(row and row.on)
