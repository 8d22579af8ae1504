"""The audit log: one append-only row per act on the register (created, updated, viewed_number, handed_out,
returned, imported, exported, key_rotated). The detail names fields and counts, never a number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy.orm import Session

from services.passports.models import AuditEntry

ACTIONS = ("created", "updated", "viewed_number", "handed_out", "returned", "imported", "exported", "key_rotated")


def name_of(actor: str) -> str | None:
    """The display name of `actor` when it is the signed-in caller (a request's identity), else None (a command,
    the sweep): what the audit page, the handovers and the slip show, the username standing in without it."""
    identity = g.get("identity") if has_request_context() else None
    return identity.name or None if identity is not None and identity.username == actor else None


def record(session: Session, actor: str, action: str, passport_id: str | None = None, **detail: Any) -> None:
    if action not in ACTIONS:
        raise ValueError(f"not an audited action: {action}")
    session.add(AuditEntry(at=datetime.now(UTC), actor=actor, actor_name=name_of(actor), action=action,
                           passport_id=passport_id, detail=detail))
