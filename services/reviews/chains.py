"""Review chains as data: the current version per kind, and new versions made by an admin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.reviews import domain
from services.reviews.models import ReviewChain


def active_chain(session: Session, kind: str) -> ReviewChain:
    chain = session.scalars(
        select(ReviewChain).where(ReviewChain.kind == kind).order_by(ReviewChain.version.desc()).limit(1)
    ).first()
    if chain is None:
        raise LookupError(f"no review chain for kind {kind!r}")
    return chain


def chain_version(session: Session, kind: str, version: int) -> ReviewChain:
    chain = session.scalars(select(ReviewChain).where(ReviewChain.kind == kind, ReviewChain.version == version)).first()
    if chain is None:
        raise LookupError(f"no review chain {kind!r} version {version}")
    return chain


def new_version(session: Session, kind: str, levels: list[dict[str, Any]], author: str) -> ReviewChain:
    domain.validate_levels(levels)
    latest = session.scalar(select(func.max(ReviewChain.version)).where(ReviewChain.kind == kind)) or 0
    chain = ReviewChain(kind=kind, version=latest + 1, levels=levels, created_by=author, created_at=datetime.now(UTC))
    session.add(chain)
    return chain


def all_active(session: Session) -> list[ReviewChain]:
    return [active_chain(session, kind) for kind in sorted(domain.DEFAULT_CHAINS)]
