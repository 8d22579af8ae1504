"""The audit log: one append-only row per act on the register (created, updated, viewed_number, handed_out,
returned, imported, exported, key_rotated). The detail names fields and counts, never a number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.passports.models import AuditEntry

ACTIONS = ("created", "updated", "viewed_number", "handed_out", "returned", "imported", "exported", "key_rotated")


def record(session: Session, actor: str, action: str, passport_id: str | None = None, **detail: Any) -> None:
    if action not in ACTIONS:
        raise ValueError(f"not an audited action: {action}")
    session.add(AuditEntry(at=datetime.now(UTC), actor=actor, action=action, passport_id=passport_id,
                           detail=detail))
