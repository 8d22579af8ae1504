"""What moves an offer after a run made it, apart from its lapse (offer_lapses.py): the student's answer, and the
paths that free a place — the student's withdrawal, an upheld objection, the partner's rejection. Each takes the
round's row lock first, then the offers' (offers.py), and re-runs the allocation so the place goes to the head of
the partner's waiting list, in any round not closed (also after the 差额公示). A student who leaves the selection
also loses their live nomination (nominations.cancel_for_student). Works in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.placements import allocation_runs, offers, rounds
from services.placements.errors import PlacementError
from services.placements.models import Candidate, Offer, Round


def _cancel_nominations(session: Session, application_id: str, now: datetime, reason: str) -> None:
    # nominations imports this module at its top (it calls place_freed): imported here, when first used, to break
    # the cycle
    from services.placements import nominations

    nominations.cancel_for_student(session, application_id, now, reason)


def answer(session: Session, offer_id: str, username: str, version: int, accept: bool, now: datetime) -> Offer:
    """The student's answer to their offer, before its deadline; a decline re-runs the allocation (reason
    "decline") in a round not closed. In a closed round an open offer is still answered, accepted or declined
    alike (its decline frees the place without a re-run, as its lapse would). Announces offer.accepted or
    offer.declined. Raises PlacementError 404, 403 (another student's offer), 409 in words (also while the
    student holds another accepted offer)."""
    round_id = session.scalar(select(Offer.round_id).where(Offer.id == offer_id))
    if round_id is None:
        raise PlacementError("No such offer.", status=404)
    round_ = rounds.get_round(session, round_id, lock=True)  # the round first, as a run takes it
    offer = session.get(Offer, offer_id, with_for_update=True, populate_existing=True)
    candidate = session.get(Candidate, offer.application_id) if offer else None
    if offer is None or candidate is None:
        raise PlacementError("No such offer.", status=404)
    if candidate.applicant != username:
        raise PlacementError("This offer is another student's: only they answer it.", status=403)
    if offer.status != "offered":
        raise PlacementError(f"This offer can no longer be answered: it is {offer.status}.")
    if version != offer.version:
        raise PlacementError("This offer changed since you read it: reload it and answer again.")
    if now > offer.deadline:
        raise PlacementError(f"The deadline to answer this offer passed at {offer.deadline.isoformat()}.")
    if accept and session.scalar(select(Offer.id).where(Offer.application_id == offer.application_id,
                                                        Offer.status == "accepted", Offer.id != offer.id)):
        raise PlacementError("You already accepted another offer: one place per student.")
    offers.change(session, offer, "accepted" if accept else "declined", now)
    if not accept and round_.status in rounds.RUNNABLE:
        allocation_runs.run_allocation(session, offer.round_id, username, "decline", now)
    return offer


def _withdraw(session: Session, round_: Round, application_id: str, statuses: tuple[str, ...]) -> bool:
    """The student's offers of these statuses in the round withdrawn (offer.withdrawn); whether there were any."""
    held = offers.lock_offers(session, round_, application_id, statuses)
    for offer in held:
        offers.change(session, offer, "withdrawn")
    return bool(held)


def candidate_withdrawn(session: Session, application_id: str, now: datetime) -> None:
    """A candidate who withdrew (application.withdrawn / cancelled, after the handler marked the row): their live
    nomination is cancelled, their open or accepted offers are withdrawn and the live round re-runs (reason
    "withdrawal") so their place moves on."""
    candidate = session.get(Candidate, application_id)
    if candidate is None or not candidate.program_id:
        return
    round_ = rounds.live_round(session, candidate.program_id, lock=True)
    if round_ is None:
        _cancel_nominations(session, application_id, now, "withdrawal")
        return
    touched = _withdraw(session, round_, application_id, offers.LIVE_OFFER)
    _cancel_nominations(session, application_id, now, "withdrawal")
    if round_.status != "open" and (touched or allocation_runs.placed(session, round_.id, application_id)):
        allocation_runs.run_allocation(session, round_.id, rounds.SYSTEM, "withdrawal", now)


def excluded(session: Session, round_: Round, application_id: str, who: str, now: datetime) -> None:
    """An upheld objection took the candidate out of the round (the caller marked them and holds the round's
    lock): their nomination is cancelled, their offers withdrawn, and the allocation re-runs (reason
    "objection")."""
    _withdraw(session, round_, application_id, offers.LIVE_OFFER)
    _cancel_nominations(session, application_id, now, "objection")
    allocation_runs.run_allocation(session, round_.id, who, "objection", now)


def place_freed(session: Session, round_id: str, application_id: str, who: str, now: datetime) -> None:
    """The partner rejected the student's nomination (nominations.py calls this after recording it): the
    student's accepted offer is withdrawn (they return to the ICD's choices, unplaced; the rejected pair stays
    excluded) and the round re-runs (reason "rejection") so the place moves on."""
    round_ = rounds.get_round(session, round_id, lock=True)
    _withdraw(session, round_, application_id, ("accepted",))
    if round_.status in rounds.RUNNABLE:
        allocation_runs.run_allocation(session, round_.id, who, "rejection", now)
