"""A round's score cells entered by hand and the ranking they give: the cells (one row each), and the ranking
recomputed from the eligible candidates and the cells on every read (the rules are ranking.py's). Works in the
caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.placements import ranking, rounds
from services.placements.errors import PlacementError
from services.placements.models import Candidate, Round, Score


@dataclass(frozen=True)
class Cell:
    application_id: str
    criterion: str
    value: Decimal


def cells(session: Session, round_id: str) -> dict[str, dict[str, Decimal]]:
    grid: dict[str, dict[str, Decimal]] = {}
    for score in session.scalars(select(Score).where(Score.round_id == round_id)):
        grid.setdefault(score.application_id, {})[score.criterion] = Decimal(score.value)
    return grid


def ranked(session: Session, round_: Round) -> tuple[list[ranking.Ranked], dict[str, Candidate]]:
    """The round's ranking now (its eligible candidates and the cells entered) and the candidates by id."""
    everyone = {c.application_id: c for c in rounds.candidates_of(session, round_.program_id)}
    eligible = [c for c in everyone.values() if c.status == "eligible"]
    return ranking.rank(eligible, cells(session, round_.id), ranking.Formula.from_json(round_.formula)), everyone


def enter_scores(session: Session, round_: Round, entries: Iterable[Cell], who: str, now: datetime) -> None:
    """Each cell written on its own row (INSERT ... ON CONFLICT DO UPDATE): two coordinators scoring at once
    each keep their cells, and a cell entered twice keeps the later value. The caller checked who may score;
    the schema refused a cell named twice in one request (PostgreSQL cannot upsert one row twice)."""
    if round_.status not in rounds.SCORABLE:
        raise PlacementError(f"The round is {round_.status}: its scores can no longer change.")
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for index, cell in enumerate(entries):
        try:
            value = ranking.check_entry(cell.criterion, cell.value)
        except ValueError as exc:
            raise PlacementError(f"{cell.application_id}: {exc}", status=422,
                                 errors={"json": {"cells": {str(index): {"value": [str(exc)]}}}}) from None
        # the last of two cells naming the same place wins, as on two requests (the schema refuses it first)
        rows[(cell.application_id, cell.criterion)] = {
            "round_id": round_.id, "application_id": cell.application_id, "criterion": cell.criterion,
            "value": value, "entered_by": who, "entered_at": now}
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Score).values(list(rows.values()))
    session.execute(statement.on_conflict_do_update(
        index_elements=["round_id", "application_id", "criterion"],
        set_={"value": statement.excluded.value, "entered_by": statement.excluded.entered_by,
              "entered_at": statement.excluded.entered_at}))
