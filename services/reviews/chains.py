"""Review chains as data: the current version per kind, new versions made by an admin, and version 1 for
kinds that have none yet. Kinds are whatever has a chain here: the reviews service keeps no list of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from chassis.db import per_transaction
from services.reviews import domain
from services.reviews.models import ReviewChain

PATH = "/api/v1/review-chains"  # where an admin makes a chain (chains_api)
_ACTIVE = "reviews.active_chain."  # + kind: the per-transaction copy


_NEWEST = (select(ReviewChain).where(ReviewChain.kind == bindparam("kind"))  # built once, the kind bound per call
           .order_by(ReviewChain.version.desc()).limit(1))


def active_chain(session: Session, kind: str) -> ReviewChain:
    """The kind's newest chain, read once per transaction (a consumer's batch of submissions shares one): a
    version an admin commits while a batch is applied counts from the next batch on."""
    chain = per_transaction(session, _ACTIVE + kind, lambda: session.scalars(_NEWEST, {"kind": kind}).first())
    if chain is None:
        # An application.submitted for such a kind is retried, then parked, until the chain exists.
        raise LookupError(f"no review chain for kind {kind}: an admin must create one (PUT {PATH}/{kind})")
    return chain


def chain_version(session: Session, kind: str, version: int) -> ReviewChain:
    chain = session.scalars(select(ReviewChain).where(ReviewChain.kind == kind, ReviewChain.version == version)).first()
    if chain is None:
        raise LookupError(f"no review chain {kind!r} version {version}")
    return chain


def new_version(session: Session, kind: str, levels: list[dict[str, Any]], author: str) -> ReviewChain:
    domain.validate_kind(kind)
    domain.validate_levels(levels)
    latest = session.scalar(select(func.max(ReviewChain.version)).where(ReviewChain.kind == kind)) or 0
    session.info.pop(_ACTIVE + kind, None)  # the new version is the active one from now on, in this transaction too
    chain = ReviewChain(kind=kind, version=latest + 1, levels=levels, created_by=author, created_at=datetime.now(UTC))
    session.add(chain)
    return chain


def all_active(session: Session) -> list[ReviewChain]:
    """The current version of every kind that has a chain, by kind."""
    latest = (select(ReviewChain.kind, func.max(ReviewChain.version).label("version"))
              .group_by(ReviewChain.kind).subquery())
    return list(session.scalars(
        select(ReviewChain).join(latest, (ReviewChain.kind == latest.c.kind)
                                 & (ReviewChain.version == latest.c.version)).order_by(ReviewChain.kind)))


def seed_missing(session: Session, defaults: dict[str, list[dict[str, Any]]], author: str = "system") -> list[str]:
    """Version 1 of each kind's default chain, for the kinds that have no chain yet (a chain an admin made is
    never replaced); returns the kinds seeded. The defaults come from whoever knows the kinds."""
    have = set(session.scalars(select(ReviewChain.kind).distinct()))
    seeded = sorted(kind for kind in defaults if kind not in have)
    for kind in seeded:
        new_version(session, kind, [dict(level) for level in defaults[kind]], author)
    return seeded
