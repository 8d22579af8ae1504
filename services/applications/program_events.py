"""program.saved: a program as it stands (its partners, seats and window), for the services that keep a copy.

Written to the outbox in the transaction that creates or changes the program (the API, a partner's rename, the
demo seed), and by `mobility programs announce` for programs made before the event existed. Private: it feeds
placements, which selects students for the program's places; outsiders read programs over HTTP.
"""

from __future__ import annotations

from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventbus import envelope, outbox
from services.applications.models import Program

SOURCE = "/services/applications"


def program_data(program: Program) -> dict[str, Any]:
    return {
        "program_id": program.id, "code": program.code, "name": program.name, "kind": program.kind,
        "seats": program.seats, "opens_at": program.opens_at.isoformat(), "closes_at": program.closes_at.isoformat(),
        "partners": [{"partner_id": p.id, "name": p.name, "country": p.country, "region": p.region}
                     for p in sorted(program.partners, key=lambda p: p.name)],  # as read: by name
    }


def saved_event(program: Program, *, correlationid: str | None = None) -> CloudEvent:
    # revision None: a program added in this transaction and not flushed yet (the column's default is 1)
    return envelope.new_event("program.saved", SOURCE, program.id, program_data(program),
                              correlationid=correlationid, aggregateversion=program.revision or 1)


def announce(session: Session, program: Program, *, correlationid: str | None = None) -> None:
    """Write program.saved for `program` as it is now, in the caller's transaction (the caller moved its
    revision if it changed it)."""
    outbox.add(session, saved_event(program, correlationid=correlationid))


def changed(session: Session, program: Program, *, correlationid: str | None = None) -> None:
    """The program changed: its revision moves, and the change is announced."""
    program.revision = (program.revision or 1) + 1
    announce(session, program, correlationid=correlationid)


def announce_all(session: Session) -> int:
    """program.saved for every program at its current revision (nothing moves: a copy that holds that revision
    already skips it, so announcing again is harmless). Returns how many were announced."""
    programs = list(session.scalars(select(Program).order_by(Program.code)))
    for program in programs:
        announce(session, program)
    return len(programs)
