"""A program's selection round as the service runs it: opening the round, its ranking (recomputed from the
candidates and the score cells on every read), the score cells entered by hand, the allocation runs and the offers
they turn into, and the students' answers. The pure rules live in ranking.py and allocation.py; this module reads
their inputs from the database, records what they decided and announces it. Every function works in the caller's
transaction and takes the clock as an argument.

The inputs of a run, all read from the database at the time of the run:
- the ranking of the round's eligible candidates (withdrawn ones are excluded);
- the places per partner (`places`);
- fixed: accepted offers, and nominations not rejected or cancelled (they keep their place);
- excluded: withdrawn candidates and students who declined an offer, let one lapse or had one withdrawn;
- excluded pairs: (student, partner) of nominations the partner rejected.
Then the open offers are brought in line with the result: an offer for each new place (deadline now +
offer_days), the open offer of a place that went elsewhere superseded.

allocation.completed names the run's places (each partner's, with its name) and the round's academic year, so the
statistics count places offered per partner and year from the event alone. The academic year runs 1 September to
31 August and is named by the year it starts, as in the applications service (services/applications/facts.py):
a round's is the earliest of its candidates' terms' (`2031-fall` starts 1 Sep 2031: 2031; `2032-spring` starts
1 Feb 2032: 2031); with no term known, that of the first term after the program's window closed (UTC): a window
closing in February to December of year Y leads to fall Y or spring Y+1, both of academic year Y; one closing in
January of Y leads to spring Y, of academic year Y-1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.placements import allocation, ranking
from services.placements.errors import PlacementError
from services.placements.events import announce
from services.placements.models import AllocationRun, Candidate, Nomination, Offer, Place, Program, Round, Score

LIVE = ("open", "allocated", "publicised", "final")  # a round that is not closed
SCORABLE = ("open", "allocated", "publicised")  # after "final" the grid is frozen
REASONS = ("manual", "decline", "lapse", "withdrawal", "rejection", "score_change", "objection")
LEFT_THE_ROUND = ("declined", "lapsed", "withdrawn")  # an offer status that takes its student out of the round
SYSTEM = "system"  # who runs the re-runs the sweep causes


@dataclass(frozen=True)
class Cell:
    application_id: str
    criterion: str
    value: Decimal


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def program_of(session: Session, program_id: str) -> Program:
    program = session.get(Program, program_id)
    if program is None:
        raise PlacementError("No such program here (the placements service has not heard of it).", status=404)
    return program


def get_round(session: Session, round_id: str, lock: bool = False) -> Round:
    found = session.get(Round, round_id, with_for_update=lock)
    if found is None:
        raise PlacementError("No such selection round.", status=404)
    return found


def candidates_of(session: Session, program_id: str) -> list[Candidate]:
    return list(session.scalars(select(Candidate).where(Candidate.program_id == program_id)
                                .order_by(Candidate.application_id)))


def open_round(session: Session, program_id: str, who: str, now: datetime, formula: Mapping[str, Any] | None = None,
               offer_days: int = 7) -> Round:
    """The program's selection round, opened once its application window has closed; one live round per
    program. Announces selection.round_opened."""
    program = program_of(session, program_id)
    if program.closes_at is None or program.closes_at >= now:
        raise PlacementError("The program's application window has not closed yet: a round opens after it closes.")
    if session.scalar(select(Round.id).where(Round.program_id == program_id, Round.status.in_(LIVE))):
        raise PlacementError("The program already has a selection round that is not closed.")
    try:
        checked = ranking.Formula.from_json(formula)
    except ValueError as exc:
        raise PlacementError(f"The formula is not valid: {exc}", status=422) from None
    opened = Round(id=str(uuid.uuid4()), program_id=program_id, status="open", formula=checked.as_json(),
                   offer_days=offer_days, opened_by=who, opened_at=now, version=1)
    session.add(opened)
    session.flush()  # the partial unique index settles two ICD officers opening at once
    eligible = [c for c in candidates_of(session, program_id) if c.status == "eligible"]
    announce(session, "selection.round_opened", opened.id, {
        "round_id": opened.id, "program_id": program_id, "program_name": program.name, "status": opened.status,
        "candidates": len(eligible), "formula": opened.formula, "offer_days": offer_days, "opened_by": who,
        "opened_at": _iso(now)}, opened.version)
    return opened


def cells(session: Session, round_id: str) -> dict[str, dict[str, Decimal]]:
    grid: dict[str, dict[str, Decimal]] = {}
    for score in session.scalars(select(Score).where(Score.round_id == round_id)):
        grid.setdefault(score.application_id, {})[score.criterion] = Decimal(score.value)
    return grid


def ranked(session: Session, round_: Round) -> tuple[list[ranking.Ranked], dict[str, Candidate]]:
    """The round's ranking now (its eligible candidates and the cells entered) and the candidates by id."""
    everyone = {c.application_id: c for c in candidates_of(session, round_.program_id)}
    eligible = [c for c in everyone.values() if c.status == "eligible"]
    return ranking.rank(eligible, cells(session, round_.id), ranking.Formula.from_json(round_.formula)), everyone


def enter_scores(session: Session, round_: Round, entries: Iterable[Cell], who: str, now: datetime) -> None:
    """Each cell written on its own row (INSERT ... ON CONFLICT DO UPDATE): two coordinators scoring at once
    each keep their cells, and a cell entered twice keeps the later value. The caller checked who may score."""
    if round_.status not in SCORABLE:
        raise PlacementError(f"The round is {round_.status}: its scores can no longer change.")
    rows = []
    for cell in entries:
        try:
            value = ranking.check_entry(cell.criterion, cell.value)
        except ValueError as exc:
            raise PlacementError(f"{cell.application_id}: {exc}", status=422) from None
        rows.append({"round_id": round_.id, "application_id": cell.application_id, "criterion": cell.criterion,
                     "value": value, "entered_by": who, "entered_at": now})
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Score).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=["round_id", "application_id", "criterion"],
        set_={"value": statement.excluded.value, "entered_by": statement.excluded.entered_by,
              "entered_at": statement.excluded.entered_at}))


def offers_of(session: Session, round_id: str) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.round_id == round_id)
                                .order_by(Offer.made_at, Offer.id)))


def last_run(session: Session, round_id: str) -> AllocationRun | None:
    return session.scalars(select(AllocationRun).where(AllocationRun.round_id == round_id)
                           .order_by(AllocationRun.number.desc()).limit(1)).first()


def _inputs(session: Session, round_: Round) -> tuple[list[ranking.Ranked], dict[str, Any], dict[str, Candidate]]:
    lines, everyone = ranked(session, round_)
    places = {p.partner_id: p.places for p in session.scalars(select(Place).where(
        Place.program_id == round_.program_id).order_by(Place.partner_id))}
    offers = offers_of(session, round_.id)
    fixed = {o.application_id: o.partner_id for o in offers if o.status == "accepted"}
    excluded = {c.application_id for c in everyone.values() if c.status != "eligible"}
    excluded |= {o.application_id for o in offers if o.status in LEFT_THE_ROUND}
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


def _partner_names(session: Session, program_id: str, everyone: Mapping[str, Candidate]) -> dict[str, str]:
    names = {p.partner_id: p.partner_name for p in session.scalars(select(Place).where(
        Place.program_id == program_id))}
    program = session.get(Program, program_id)
    for partner in program.partners if program else []:
        names.setdefault(partner["partner_id"], partner.get("name") or "")
    for candidate in everyone.values():
        for choice in candidate.choices:
            names.setdefault(choice["partner_id"], choice.get("name") or "")
    return names


def academic_year_of_term(term: str | None) -> int | None:
    """`2031-fall` → 2031, `2032-spring` → 2031 (the academic year the term's first day falls in); None when
    the term is not one of those."""
    if not term or len(term) < 6 or not term[:4].isdigit() or term[5:] not in ("fall", "spring"):
        return None
    return int(term[:4]) if term[5:] == "fall" else int(term[:4]) - 1


def academic_year(program: Program | None, everyone: Iterable[Candidate]) -> int | None:
    """The round's academic year: its candidates' earliest term's, else the first term's after the window
    closed (see the module's docstring); None when neither is known."""
    years = [year for year in (academic_year_of_term(c.term) for c in everyone) if year is not None]
    if years:
        return min(years)
    if program is None or program.closes_at is None:
        return None
    closed = program.closes_at
    # January: that spring (1 Feb) is in the academic year that began the September before
    return closed.year - 1 if closed.month == 1 else closed.year


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
            "deadline": _iso(offer.deadline), "made_at": _iso(offer.made_at),
            "answered_at": _iso(offer.answered_at)}


def run_allocation(session: Session, round_id: str, who: str, reason: str, now: datetime) -> AllocationRun:
    """One run of the allocation over the round's inputs as they are now, recorded (append-only) with its
    inputs and result; the open offers follow the result. Announces allocation.completed and offer.made."""
    if reason not in REASONS:
        raise PlacementError(f"Unknown reason {reason!r}: one of {', '.join(REASONS)}.", status=422)
    round_ = get_round(session, round_id, lock=True)  # one run of a round at a time: the numbers stay 1, 2, 3 ...
    if round_.status not in ("open", "allocated", "publicised"):
        raise PlacementError(f"The round is {round_.status}: the allocation can no longer run.")
    lines, inputs, everyone = _inputs(session, round_)
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
    made = _follow(session, round_, run, result, inputs["fixed"], everyone, now)
    if round_.status == "open":
        round_.status = "allocated"
    round_.version += 1
    session.flush()
    program = session.get(Program, round_.program_id)
    names = _partner_names(session, round_.program_id, everyone)
    announce(session, "allocation.completed", round_.id, {
        "round_id": round_.id, "program_id": round_.program_id, "program_name": program.name if program else "",
        "run_id": run.id, "number": run.number, "reason": reason, "run_by": who, "run_at": _iso(now),
        "academic_year": academic_year(program, everyone.values()),
        "places": [{"partner_id": partner, "partner_name": names.get(partner, ""), "places": count}
                   for partner, count in inputs["places"].items()],
        "placed": sum(1 for partner in result.assignment.values() if partner),
        "unplaced": len(result.unplaced), "changes": [vars(c) for c in moved]}, round_.version)
    for offer in made:
        announce(session, "offer.made", offer.id, offer_data(offer, everyone.get(offer.application_id), program),
                 offer.version)
    return run


def _follow(session: Session, round_: Round, run: AllocationRun, result: allocation.Allocation,
            fixed: Mapping[str, str], everyone: Mapping[str, Candidate], now: datetime) -> list[Offer]:
    """The open offers brought in line with the run: kept where the place is the same, superseded where it is
    not, and a new offer for each student placed without one (fixed students hold theirs already)."""
    open_offers = {o.application_id: o for o in offers_of(session, round_.id) if o.status == "offered"}
    names = _partner_names(session, round_.program_id, everyone)
    made = []
    for student, offer in open_offers.items():
        if result.assignment.get(student) != offer.partner_id:
            offer.status, offer.version = "superseded", offer.version + 1
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
    return made


def answer(session: Session, offer_id: str, username: str, version: int, accept: bool, now: datetime) -> Offer:
    """The student's answer to their offer, before its deadline; a decline re-runs the allocation (reason
    "decline") so the place goes to the head of the partner's waiting list. Announces offer.accepted or
    offer.declined. Raises PlacementError 404, 403 (another student's offer), 409 in words."""
    offer = session.get(Offer, offer_id, with_for_update=True)
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
    offer.status, offer.answered_at, offer.version = ("accepted" if accept else "declined"), now, offer.version + 1
    session.flush()
    program = session.get(Program, candidate.program_id)
    announce(session, "offer.accepted" if accept else "offer.declined", offer.id,
             offer_data(offer, candidate, program), offer.version)
    if not accept:
        run_allocation(session, offer.round_id, username, "decline", now)
    return offer


def lapse(session: Session, now: datetime) -> dict[str, int]:
    """Offers past their deadline unanswered lapse (offer.lapsed), and each round that had one re-runs (reason
    "lapse"). Rows another sweep holds are skipped, not waited for."""
    due = list(session.scalars(select(Offer).where(Offer.status == "offered", Offer.deadline < now)
                               .order_by(Offer.deadline, Offer.id).with_for_update(skip_locked=True)))
    rounds: list[str] = []
    for offer in due:
        offer.status, offer.version = "lapsed", offer.version + 1
        candidate = session.get(Candidate, offer.application_id)
        program = session.get(Program, candidate.program_id) if candidate else None
        announce(session, "offer.lapsed", offer.id, offer_data(offer, candidate, program), offer.version)
        if offer.round_id not in rounds:
            rounds.append(offer.round_id)
    session.flush()
    reruns = 0
    for round_id in rounds:
        if get_round(session, round_id).status in ("open", "allocated", "publicised"):
            run_allocation(session, round_id, SYSTEM, "lapse", now)
            reruns += 1
    return {"offers_lapsed": len(due), "allocation_reruns": reruns}


def candidate_withdrawn(session: Session, application_id: str, now: datetime) -> None:
    """A candidate who withdrew (application.withdrawn / cancelled, after the handler marked the row): their open
    or accepted offers are withdrawn and the live round re-runs (reason "withdrawal") so their place moves on."""
    touched = False
    for offer in session.scalars(select(Offer).where(Offer.application_id == application_id,
                                                     Offer.status.in_(("offered", "accepted")))):
        offer.status, offer.version = "withdrawn", offer.version + 1
        touched = True
    candidate = session.get(Candidate, application_id)
    if candidate is None:
        return
    live = session.scalars(select(Round).where(Round.program_id == candidate.program_id,
                                               Round.status.in_(("allocated", "publicised")))).first()
    if live is not None and (touched or _placed(session, live.id, application_id)):
        session.flush()
        run_allocation(session, live.id, SYSTEM, "withdrawal", now)


def _placed(session: Session, round_id: str, application_id: str) -> bool:
    run = last_run(session, round_id)
    return bool(run and run.result.get("assignment", {}).get(application_id))
