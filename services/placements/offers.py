"""A round's offers as rows and as news: reading them, locking them (always after the round's row: the one lock
order of every writer, so an answer, a lapse, a withdrawal, a rejection and a run never deadlock nor act on stale
offers), the data every offer.* event carries, and a status change with its event in the same transaction.

The status change is also a compare-and-set on the offer's version (UPDATE ... WHERE id AND version = the one
read): the floor under the locks, refusing with a 409 a writer that acted on an offer read before another's change
committed (on SQLite, the embedded deployment, the locking read takes the database's write lock instead of rows').
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from services.placements.errors import PlacementError
from services.placements.events import announce
from services.placements.models import Candidate, Offer, Program, Round
from services.placements.rounds import iso

LIVE_OFFER = ("offered", "accepted")  # an offer that holds its place (the partial unique index of 0003)
LEFT_THE_ROUND = ("declined", "lapsed", "withdrawn")  # an offer status that takes its student out of the round


def offers_of(session: Session, round_id: str) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.round_id == round_id)
                                .order_by(Offer.made_at, Offer.id)))


def lock_offers(session: Session, round_: Round, application_id: str | None = None,
                statuses: Iterable[str] | None = None) -> list[Offer]:
    """The round's offers (one student's, of some statuses) FOR UPDATE and refreshed; the caller holds the
    round's row lock already (rounds.get_round(lock=True))."""
    query = select(Offer).where(Offer.round_id == round_.id)
    if application_id is not None:
        query = query.where(Offer.application_id == application_id)
    if statuses is not None:
        query = query.where(Offer.status.in_(tuple(statuses)))
    return list(session.scalars(query.order_by(Offer.made_at, Offer.id).with_for_update()
                                .execution_options(populate_existing=True)))


def partner_country(program: Program | None, candidate: Candidate | None, partner_id: str) -> str | None:
    """A partner's country (ISO 3166-1 alpha-2) as the program's copy names it, else as the student's choice
    did; None when neither knows the partner."""
    for partner in program.partners if program else []:
        if partner.get("partner_id") == partner_id and partner.get("country"):
            return str(partner["country"])
    for choice in candidate.choices if candidate else []:
        if choice.get("partner_id") == partner_id and choice.get("country"):
            return str(choice["country"])
    return None


def offer_data(offer: Offer, candidate: Candidate | None, program: Program | None) -> dict[str, Any]:
    """An offer.* event's data: the offer and whom it concerns (the student is told)."""
    return {"offer_id": offer.id, "round_id": offer.round_id, "run_id": offer.run_id,
            "program_id": program.program_id if program else (candidate.program_id if candidate else None),
            "program_name": program.name if program else "", "application_id": offer.application_id,
            "applicant": candidate.applicant if candidate else "",
            "applicant_name": candidate.applicant_name if candidate else "",
            "applicant_email": candidate.applicant_email if candidate else None,
            "locale": candidate.locale if candidate else None, "school": candidate.school if candidate else None,
            "partner_id": offer.partner_id, "partner_name": offer.partner_name,
            "partner_country": partner_country(program, candidate, offer.partner_id), "status": offer.status,
            "deadline": iso(offer.deadline), "made_at": iso(offer.made_at),
            "answered_at": iso(offer.answered_at)}


def change(session: Session, offer: Offer, status: str, now: datetime | None = None) -> None:
    """The offer moves to `status` (accepted, declined, lapsed, superseded, withdrawn) and offer.<status> is
    announced in the same transaction; `now` is the student's answer time (accepted, declined). Raises
    PlacementError 409 when the row is no longer at the version this transaction read (see the module's note)."""
    seen = offer.version
    values: dict[str, Any] = {"status": status, "version": seen + 1}
    if now is not None:
        values["answered_at"] = now
    session.flush()  # whatever else is pending goes first; the guarded UPDATE below is the offer's own
    done = session.execute(update(Offer).where(Offer.id == offer.id, Offer.version == seen).values(**values)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise PlacementError("This offer changed meanwhile (another answer or allocation run went first): "
                             "reload it and try again.")
    for name, value in values.items():  # the row as written, without marking the object dirty again
        set_committed_value(offer, name, value)
    candidate = session.get(Candidate, offer.application_id)
    program = session.get(Program, candidate.program_id) if candidate else None
    announce(session, f"offer.{status}", offer.id, offer_data(offer, candidate, program), offer.version)
