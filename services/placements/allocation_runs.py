"""The allocation runs of a round: their inputs read from the database at the time of the run, the run recorded
(append-only) with its inputs and result, the open offers brought in line with it, and the news. The pure rule is
allocation.py's. Works in the caller's transaction; the clock is an argument.

The inputs of a run:
- the ranking of the round's eligible candidates (withdrawn and excluded ones are not);
- the places per partner (`places`);
- fixed: accepted offers, and nominations not rejected or cancelled (they keep their place);
- excluded: candidates not eligible and students who declined an offer, let one lapse or had one withdrawn;
- excluded pairs: (student, partner) of nominations the partner rejected.
Then the open offers follow the result: an offer for each new place (deadline now + offer_days), the open offer of
a place that went elsewhere superseded (offer.superseded). A run takes the round's row lock, then its offers' rows,
the order every writer of offers keeps (offers.py). It runs in any round not closed: after the 差额公示 ("final")
a decline, lapse, withdrawal or rejection still offers the place to the next (the scores stay frozen). While the
list is open or paused, its content is republished from the new run (list_publicity.refresh).

allocation.completed names the run's places (each partner's, with its name) and the round's academic year
(rounds.academic_year), so the statistics count places offered per partner and year from the event alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.placements import allocation, list_publicity, offers, ranking, rounds, scores
from services.placements.errors import PlacementError
from services.placements.events import announce
from services.placements.models import AllocationRun, Candidate, Nomination, Offer, Place, Program, Round

REASONS = ("manual", "decline", "lapse", "withdrawal", "rejection", "score_change", "objection")


def last_run(session: Session, round_id: str) -> AllocationRun | None:
    return session.scalars(select(AllocationRun).where(AllocationRun.round_id == round_id)
                           .order_by(AllocationRun.number.desc()).limit(1)).first()


def _inputs(session: Session, round_: Round, held: list[Offer]
            ) -> tuple[list[ranking.Ranked], dict[str, Any], dict[str, Candidate]]:
    lines, everyone = scores.ranked(session, round_)
    places = {p.partner_id: p.places for p in session.scalars(select(Place).where(
        Place.program_id == round_.program_id).order_by(Place.partner_id))}
    fixed = {o.application_id: o.partner_id for o in held if o.status == "accepted"}
    excluded = {c.application_id for c in everyone.values() if c.status != "eligible"}
    excluded |= {o.application_id for o in held if o.status in offers.LEFT_THE_ROUND}
    pairs: set[tuple[str, str]] = set()
    for nomination in session.scalars(select(Nomination).where(Nomination.round_id == round_.id)):
        if nomination.status == "rejected":
            pairs.add((nomination.application_id, nomination.partner_id))
        elif nomination.status in ("nominated", "approved"):
            fixed[nomination.application_id] = nomination.partner_id
    choices = {c.application_id: [choice["partner_id"] for choice in c.choices] for c in everyone.values()}
    return lines, {
        "formula": round_.formula, "ranking": [line.as_json() for line in lines],
        "choices": {k: choices[k] for k in sorted(choices)}, "places": places,
        "fixed": {k: fixed[k] for k in sorted(fixed)}, "excluded": sorted(excluded),
        "excluded_pairs": sorted([list(pair) for pair in pairs])}, everyone


def partner_names(session: Session, program_id: str, everyone: Mapping[str, Candidate]) -> dict[str, str]:
    names = {p.partner_id: p.partner_name for p in session.scalars(select(Place).where(
        Place.program_id == program_id))}
    program = session.get(Program, program_id)
    for partner in program.partners if program else []:
        names.setdefault(partner["partner_id"], partner.get("name") or "")
    for candidate in everyone.values():
        for choice in candidate.choices:
            names.setdefault(choice["partner_id"], choice.get("name") or "")
    return names


def run_allocation(session: Session, round_id: str, who: str, reason: str, now: datetime) -> AllocationRun:
    """One run of the allocation over the round's inputs as they are now, recorded with its inputs and result;
    the open offers follow the result. Announces allocation.completed, offer.superseded and offer.made."""
    if reason not in REASONS:
        raise PlacementError(f"Unknown reason {reason!r}: one of {', '.join(REASONS)}.", status=422,
                             errors={"json": {"reason": [f"One of {', '.join(REASONS)}."]}})
    round_ = rounds.get_round(session, round_id, lock=True)  # first the round: one run at a time, numbers 1, 2 ...
    if round_.status not in rounds.RUNNABLE:
        raise PlacementError(f"The round is {round_.status}: the allocation can no longer run.")
    held = offers.lock_offers(session, round_)  # then its offers: no answer changes them under the run
    lines, inputs, everyone = _inputs(session, round_, held)
    result = allocation.allocate([line.application_id for line in lines], inputs["choices"], inputs["places"],
                                 fixed=inputs["fixed"], excluded=set(inputs["excluded"]),
                                 excluded_pairs={(a, p) for a, p in inputs["excluded_pairs"]})
    previous = last_run(session, round_.id)
    before = (allocation.Allocation.from_json(previous.result) if previous
              else allocation.Allocation(assignment={}, waiting={}, unplaced=[]))
    moved = allocation.changes(before, result)
    run = AllocationRun(id=str(uuid.uuid4()), round_id=round_.id, number=(previous.number if previous else 0) + 1,
                        run_at=now, run_by=who, reason=reason, inputs=inputs,
                        result={**result.as_json(), "changes": [vars(c) for c in moved]})
    session.add(run)
    if round_.status == "open":
        round_.status = "allocated"
    round_.version += 1
    session.flush()
    program = session.get(Program, round_.program_id)
    names = partner_names(session, round_.program_id, everyone)
    announce(session, "allocation.completed", round_.id, {
        "round_id": round_.id, "program_id": round_.program_id, "program_name": program.name if program else "",
        "run_id": run.id, "number": run.number, "reason": reason, "run_by": who, "run_at": rounds.iso(now),
        "academic_year": rounds.academic_year(program, everyone.values()),
        "places": [{"partner_id": partner, "partner_name": names.get(partner, ""), "places": count}
                   for partner, count in inputs["places"].items()],
        "placed": sum(1 for partner in result.assignment.values() if partner),
        "unplaced": len(result.unplaced), "changes": [vars(c) for c in moved]}, round_.version)
    for offer in _follow(session, round_, run, result, held, inputs["fixed"], names, now):
        announce(session, "offer.made", offer.id,
                 offers.offer_data(offer, everyone.get(offer.application_id), program), offer.version)
    list_publicity.refresh(session, round_)
    return run


def _follow(session: Session, round_: Round, run: AllocationRun, result: allocation.Allocation, held: list[Offer],
            fixed: Mapping[str, str], names: Mapping[str, str], now: datetime) -> list[Offer]:
    """The open offers brought in line with the run: kept where the place is the same, superseded (with its
    event) where it is not, and a new offer for each student placed without one (fixed students hold theirs)."""
    open_offers = {o.application_id: o for o in held if o.status == "offered"}
    for student, offer in open_offers.items():
        if result.assignment.get(student) != offer.partner_id:
            offers.change(session, offer, "superseded")
    made = []
    for student, partner in result.assignment.items():
        if partner is None or student in fixed:
            continue
        current = open_offers.get(student)
        if current is not None and current.partner_id == partner:
            continue
        offer = Offer(id=str(uuid.uuid4()), round_id=round_.id, application_id=student, partner_id=partner,
                      partner_name=names.get(partner, ""), run_id=run.id, status="offered",
                      deadline=now + timedelta(days=round_.offer_days), made_at=now, version=1)
        session.add(offer)
        made.append(offer)
    session.flush()  # the one-live-offer index checks the new offers here
    return made


def placed(session: Session, round_id: str, application_id: str) -> bool:
    """Whether the round's latest run gave the student a place."""
    run = last_run(session, round_id)
    return bool(run and run.result.get("assignment", {}).get(application_id))
