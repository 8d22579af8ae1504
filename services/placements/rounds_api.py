"""/api/v1/selection-rounds: open a program's selection round (the ICD), read it with its ranking (staff: a
school's coordinator or dean sees the rows of their school's candidates, the office all), enter score cells (a
coordinator for their school's candidates, the ICD for all) and run the allocation (the ICD) and read its runs.
The rules are in rounds.py, scores.py and allocation_runs.py; this module checks who asks and shapes the
answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.db import one_snapshot
from chassis.tokens import Identity
from services.placements import access, allocation_runs, offers, rounds, scores
from services.placements.errors import PlacementError
from services.placements.models import AllocationRun, Candidate, Program, Round
from services.placements.rounds_schemas import (
    CellIn,
    CloseIn,
    RoundIn,
    RoundList,
    RoundOut,
    RoundsQuery,
    RunIn,
    RunList,
    RunOut,
)

blp = Blueprint("rounds_api", __name__, url_prefix="/api/v1/selection-rounds", description="Selection rounds")
ROUND = {"in": "path", "name": "round_id", "schema": {"type": "string", "format": "uuid"}}


def _office() -> Identity:
    identity = current_identity()
    if not access.is_office(identity):
        abort(403, message="Only the ICD and admins open selection rounds and run the allocation.")
    return identity


def _staff() -> Identity:
    identity = current_identity()
    if not access.is_staff(identity):
        abort(403, message="Only staff read selection rounds.")
    return identity


def _schools_seen(identity: Identity) -> set[str] | None:
    """None: every school (the office, the vice president); else the schools a coordinator or dean serves."""
    if access.is_office(identity) or any(r.get("role") == "vice_president" for r in identity.roles):
        return None
    return {str(r["school"]) for r in identity.roles if r.get("role") in access.SCHOOL_STAFF and r.get("school")}


def _round(session: Session, round_id: uuid.UUID, lock: bool = False) -> Round:
    try:
        return rounds.get_round(session, str(round_id), lock)
    except PlacementError as exc:
        abort(404, message=str(exc))
        raise


def _shown(session: Session, round_: Round, identity: Identity | None = None) -> dict[str, Any]:
    program = session.get(Program, round_.program_id)
    runs = session.scalar(select(func.count()).select_from(AllocationRun).where(AllocationRun.round_id == round_.id))
    shown: dict[str, Any] = {
        "id": round_.id, "program_id": round_.program_id, "program_name": program.name if program else "",
        "status": round_.status, "formula": round_.formula, "offer_days": round_.offer_days,
        "opened_by": round_.opened_by, "opened_at": round_.opened_at, "version": round_.version, "runs": runs or 0}
    if identity is None:
        return shown
    lines, everyone = scores.ranked(session, round_)
    last = allocation_runs.last_run(session, round_.id)
    assigned = last.result.get("assignment", {}) if last else {}
    current: dict[str, Any] = {}
    for offer in offers.offers_of(session, round_.id):  # oldest first: the latest one that counts wins
        if offer.status != "superseded":
            current[offer.application_id] = offer
    schools = _schools_seen(identity)
    rows = []
    for line in lines:
        candidate = everyone[line.application_id]
        if schools is not None and candidate.school not in schools:
            continue
        offer = current.get(line.application_id)
        rows.append({
            "position": line.position, "application_id": line.application_id, "applicant": candidate.applicant,
            "name": candidate.applicant_name, "school": candidate.school,
            "parts": {k: str(v) for k, v in line.parts.items()}, "score": str(line.score),
            "missing": list(line.missing), "choices": candidate.choices, "allocated": assigned.get(line.application_id),
            "offer": None if offer is None else {"offer_id": offer.id, "partner_id": offer.partner_id,
                                                 "partner_name": offer.partner_name, "status": offer.status,
                                                 "deadline": offer.deadline}})
    shown["ranking"] = rows
    return shown


def _run(run: AllocationRun) -> dict[str, Any]:
    return {"id": run.id, "number": run.number, "run_at": run.run_at, "run_by": run.run_by, "reason": run.reason,
            "inputs": run.inputs, "result": run.result}


@blp.route("")
class Rounds(MethodView):
    @blp.arguments(RoundIn)
    @blp.response(201, RoundOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open the selection round of a program whose application window has closed, over its approved
        candidates (the ICD)."""
        identity = _office()
        with ctx().sessions() as session:
            try:
                with session.begin():
                    opened = rounds.open_round(session, str(body["program_id"]), identity.username,
                                                  datetime.now(UTC), body["formula"], body["offer_days"],
                                               body["publicity_days"])
            except IntegrityError:  # another officer opened it a moment before
                raise PlacementError("The program already has a selection round that is not closed.") from None
            with session.begin():
                return _shown(session, opened, identity)

    @blp.arguments(RoundsQuery, location="query")
    @blp.response(200, RoundList)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The selection rounds (of one program with `program_id`), newest first."""
        _staff()
        with ctx().sessions() as session:
            statement = select(Round).order_by(Round.opened_at.desc(), Round.id)
            if query["program_id"]:
                statement = statement.where(Round.program_id == str(query["program_id"]))
            return {"items": [_shown(session, r) for r in session.scalars(statement)]}


@blp.route("/<uuid:round_id>", parameters=[ROUND])
class OneRound(MethodView):
    @blp.response(200, RoundOut)
    def get(self, round_id: uuid.UUID) -> dict[str, Any]:
        """The round with its ranking as of now (recomputed on every read): each row's parts, score, position,
        the inputs not entered yet, the partner of the latest run and the current offer."""
        identity = _staff()
        with ctx().sessions() as session:
            one_snapshot(session)  # the candidates, the last run and its offers as of one moment
            return _shown(session, _round(session, round_id), identity)


@blp.route("/<uuid:round_id>/scores", parameters=[ROUND])
class Scores(MethodView):
    @blp.arguments(CellIn(many=True))
    @blp.response(200, RoundOut)
    def put(self, body: list[dict[str, Any]], round_id: uuid.UUID) -> dict[str, Any]:
        """Enter score cells (interview, bonus); each cell is its own row, so coordinators scoring at once keep
        each other's entries. A coordinator scores their school's candidates only, the ICD everyone's; one cell
        refused refuses the whole request and nothing changes."""
        identity = current_identity()
        with ctx().sessions() as session:
            with session.begin():
                round_ = _round(session, round_id)
                ids = {str(cell["application_id"]) for cell in body}
                found = {c.application_id: c for c in session.scalars(select(Candidate).where(
                    Candidate.application_id.in_(ids), Candidate.program_id == round_.program_id))}
                unknown = sorted(ids - set(found))
                if unknown:
                    raise PlacementError("Not candidates of this round: " + ", ".join(unknown), status=422, errors={
                        "json": {str(i): {"application_id": ["Not a candidate of this round."]}
                                 for i, cell in enumerate(body) if str(cell["application_id"]) in unknown}})
                refused = sorted(i for i, c in found.items() if not access.can_score(identity, c.school))
                if refused:
                    abort(403, message="You score only the candidates of your school; not yours: " + ", ".join(refused))
                scores.enter_scores(session, round_, [
                    scores.Cell(str(cell["application_id"]), cell["criterion"], cell["value"]) for cell in body],
                    identity.username, datetime.now(UTC))
            with session.begin():
                return _shown(session, _round(session, round_id), identity)


@blp.route("/<uuid:round_id>/close", parameters=[ROUND])
class Close(MethodView):
    @blp.arguments(CloseIn)
    @blp.response(200, RoundOut)
    def post(self, body: dict[str, Any], round_id: uuid.UUID) -> dict[str, Any]:
        """Close a round that ran (the ICD): its offers stop moving and the program may open a new round."""
        identity = _office()
        with ctx().sessions() as session:
            with session.begin():
                _round(session, round_id)
                rounds.close_round(session, str(round_id), body["version"])
            with session.begin():
                return _shown(session, _round(session, round_id), identity)


@blp.route("/<uuid:round_id>/allocations", parameters=[ROUND])
class Allocations(MethodView):
    @blp.arguments(RunIn)
    @blp.response(201, RunOut)
    def post(self, body: dict[str, Any], round_id: uuid.UUID) -> dict[str, Any]:
        """Run the allocation on the round's inputs as they are now (the ICD): recorded with its inputs and
        result; new places get offers, places that moved have their offers superseded."""
        identity = _office()
        with ctx().sessions() as session, session.begin():
            _round(session, round_id)
            return _run(allocation_runs.run_allocation(session, str(round_id), identity.username, body["reason"],
                                                 datetime.now(UTC)))

    @blp.response(200, RunList)
    def get(self, round_id: uuid.UUID) -> dict[str, Any]:
        """The round's allocation runs, first to last, each with its inputs and result."""
        _office()
        with ctx().sessions() as session:
            _round(session, round_id)
            runs = session.scalars(select(AllocationRun).where(AllocationRun.round_id == str(round_id))
                                   .order_by(AllocationRun.number))
            return {"items": [_run(run) for run in runs]}
