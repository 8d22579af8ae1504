"""Answers and runs at once on PostgreSQL (review B1): every writer of a round's offers takes the round's row lock
first, then the offers', so a decline's re-run and an accept of an offer it moves, or a manual run and an accept,
never act on offers the other changed: whichever goes second sees the first's result. Each test pauses the first
transaction inside its run (the allocation computed, the round locked), starts the second, waits until PostgreSQL
shows it waiting for a lock, then lets the first go on. Whatever the order, the offers agree with the latest run:
no student holds two live offers, no partner more live offers than places, nobody accepts twice."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from chassis.db import make_engine
from eventbus import tables
from services.placements import allocation, allocation_runs, list_publicity, nominations, offer_changes, offers, rounds
from services.placements.errors import PlacementError
from services.placements.models import AllocationRun, Base, Candidate, Offer, Place, Program
from tests.support.placements import Placements, approved, cancelled, placements_fixture  # noqa: F401

CLOSED = "2025-03-31T23:59:00+08:00"
P0 = {"partner_id": str(uuid.uuid4()), "name": "P0", "country": "DE", "region": "europe"}
P1 = {"partner_id": str(uuid.uuid4()), "name": "P1", "country": "FR", "region": "europe"}


def setup(p: Placements) -> tuple[str, dict[str, str]]:
    """S1 holds P0; S2 holds P1 and waits for P0; S3 waits for P1; one place each. (round, student → app)."""
    program = p.add_program(partners=[P0, P1], closes_at=CLOSED)["program_id"]
    apps = {}
    for student, gpa, choices in (("s1", "4.00", [P0]), ("s2", "3.00", [P0, P1]), ("s3", "2.00", [P1])):
        apps[student] = p.add_candidate(program, applicant=student, gpa=gpa, choices=choices)["application_id"]
    for partner in (P0, P1):
        p.execute("INSERT INTO places (program_id, partner_id, partner_name, places, source, set_by, updated_at) "
                  "VALUES (:g, :p, :n, 1, 'office', 'icd.officer', now())", g=program, p=partner["partner_id"],
                  n=partner["name"])
    with p.sessions() as session, session.begin():
        round_id = rounds.open_round(session, program, "icd.officer", datetime.now(UTC)).id
        allocation_runs.run_allocation(session, round_id, "icd.officer", "manual", datetime.now(UTC))
    return round_id, apps


def offer(p: Placements, application_id: str, status: str = "offered") -> tuple[str, int]:
    (row,) = p.rows("SELECT id, version FROM offers WHERE application_id = :a AND status = :s",
                    a=application_id, s=status)
    return row[0], row[1]


@pytest.fixture(name="paused_run")
def paused_run_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Once `race` starts, its first run stops after computing its result (holding its locks) until `go_on`."""
    computed, go_on = threading.Event(), threading.Event()
    go_on.set()  # the setup's runs go straight through
    real = allocation.allocate

    def paused(*args: Any, **kwargs: Any) -> allocation.Allocation:
        result = real(*args, **kwargs)
        if not go_on.is_set() and not computed.is_set():
            computed.set()
            assert go_on.wait(30)
        return result

    monkeypatch.setattr(allocation, "allocate", paused)
    yield computed, go_on
    go_on.set()


def race(p: Placements, first: Callable[[], None], second: Callable[[], None],
         paused_run: tuple[threading.Event, threading.Event]) -> dict[str, BaseException]:
    """`first` runs until its run is paused, `second` starts and waits for a lock, then both finish."""
    computed, go_on = paused_run
    go_on.clear()  # armed: the first run from here on pauses
    failures: dict[str, BaseException] = {}

    def guarded(name: str, work: Callable[[], None]) -> Callable[[], None]:
        def body() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - the test reads what each side met
                failures[name] = exc
        return body

    one = threading.Thread(target=guarded("first", first))
    one.start()
    assert computed.wait(30)
    two = threading.Thread(target=guarded("second", second))
    two.start()
    waiting = 0
    for _ in range(3000):  # until PostgreSQL shows the second transaction waiting for the first's lock
        waiting = p.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        if waiting or not two.is_alive():
            break
        threading.Event().wait(0.01)
    go_on.set()
    one.join(30)
    two.join(30)
    assert waiting, "the second transaction never waited for the first's lock"
    return failures


def consistent(p: Placements, round_id: str) -> None:
    """The offers agree with the latest run: one live offer per student at most, no partner over its places,
    every placed student's live offer at the partner the run gave them."""
    live = p.rows("SELECT application_id, partner_id, status FROM offers WHERE round_id = :r "
                  "AND status IN ('offered', 'accepted')", r=round_id)
    students = [a for a, _, _ in live]
    assert len(students) == len(set(students)), live
    for partner in (P0, P1):
        assert sum(1 for _, x, _ in live if x == partner["partner_id"]) <= 1, live
    (result,) = p.rows("SELECT result FROM allocation_runs WHERE round_id = :r ORDER BY number DESC LIMIT 1",
                       r=round_id)[0]
    assignment = {a: x for a, x in result["assignment"].items() if x}
    assert {a: x for a, x, _ in live} == assignment, (live, assignment)


def test_a_decline_and_an_accept_of_the_offer_its_rerun_moves(placements: Placements,
                                                               paused_run: tuple[threading.Event, threading.Event]
                                                               ) -> None:
    p = placements
    round_id, apps = setup(p)
    s1_offer, s1_version = offer(p, apps["s1"])
    s2_offer, s2_version = offer(p, apps["s2"])

    def decline() -> None:
        with p.sessions() as session, session.begin():
            offer_changes.answer(session, s1_offer, "s1", s1_version, False, datetime.now(UTC))

    def accept() -> None:
        with p.sessions() as session, session.begin():
            offer_changes.answer(session, s2_offer, "s2", s2_version, True, datetime.now(UTC))

    failures = race(p, decline, accept, paused_run)
    assert "first" not in failures
    # the decline went first: S2's P1 offer was superseded (S2 moved up to P0), so the accept is refused in words
    assert isinstance(failures.get("second"), PlacementError) and "superseded" in str(failures["second"])
    consistent(p, round_id)
    assert p.scalar("SELECT count(*) FROM offers WHERE status = 'accepted'") == 0
    moved, version = offer(p, apps["s2"])
    assert p.scalar("SELECT partner_id FROM offers WHERE id = :o", o=moved) == P0["partner_id"]
    assert [e["status"] for e in p.events("offer.superseded")] == ["superseded"]
    # S2 accepts the place they hold now, once; a second accept of anything is refused
    with p.sessions() as session, session.begin():
        offer_changes.answer(session, moved, "s2", version, True, datetime.now(UTC))
    consistent(p, round_id)


def test_a_manual_run_and_an_accept(placements: Placements,
                                    paused_run: tuple[threading.Event, threading.Event]) -> None:
    p = placements
    round_id, apps = setup(p)
    s2_offer, s2_version = offer(p, apps["s2"])

    def rerun() -> None:
        with p.sessions() as session, session.begin():
            allocation_runs.run_allocation(session, round_id, "icd.officer", "manual", datetime.now(UTC))

    def accept() -> None:
        with p.sessions() as session, session.begin():
            offer_changes.answer(session, s2_offer, "s2", s2_version, True, datetime.now(UTC))

    failures = race(p, rerun, accept, paused_run)
    assert failures == {}, failures  # the run changed nothing, so the accept after it stands
    consistent(p, round_id)
    assert offer(p, apps["s2"], "accepted")[0] == s2_offer


def test_a_student_never_accepts_twice(placements: Placements) -> None:
    p = placements
    round_id, apps = setup(p)
    s2_offer, s2_version = offer(p, apps["s2"])
    with p.sessions() as session, session.begin():
        offer_changes.answer(session, s2_offer, "s2", s2_version, True, datetime.now(UTC))
    # a second live offer of the same student and round cannot exist (migration 0003's index) ...
    with pytest.raises(Exception, match="ux_offers_round_application_live"):
        p.execute("INSERT INTO offers (id, round_id, application_id, partner_id, partner_name, run_id, status, "
                  "deadline, made_at, version) SELECT :i, round_id, application_id, partner_id, partner_name, "
                  "run_id, 'offered', deadline, made_at, 1 FROM offers WHERE id = :o", i=str(uuid.uuid4()),
                  o=s2_offer)
    # ... and one of another round (a later round of the program) is refused an accept while this one holds
    with p.engine.begin() as c:
        c.execute(text("UPDATE rounds SET status = 'closed' WHERE id = :r"), {"r": round_id})
        program = c.scalar(text("SELECT program_id FROM rounds WHERE id = :r"), {"r": round_id})
    with p.sessions() as session, session.begin():
        later = rounds.open_round(session, program, "icd.officer", datetime.now(UTC)).id
        allocation_runs.run_allocation(session, later, "icd.officer", "manual", datetime.now(UTC))
    other = p.rows("SELECT id, version FROM offers WHERE round_id = :r AND application_id = :a "
                   "AND status = 'offered'", r=later, a=apps["s2"])
    assert len(other) == 1
    with p.sessions() as session, session.begin(), pytest.raises(PlacementError, match="already accepted"):
        offer_changes.answer(session, other[0][0], "s2", other[0][1], True, datetime.now(UTC))


def contact_for(p: Placements, partner: dict[str, str]) -> None:
    """A signed agreement with a nominations contact for the partner: the ICD can nominate to it."""
    p.execute("INSERT INTO agreements (id, partner_id, partner_name, partner_country, type, status, contacts, "
              "created_by, created_at, updated_at, version) VALUES (:i, :p, :n, 'DE', 'student_exchange', "
              "'signed', CAST(:c AS json), 'icd.officer', now(), now(), 1)", i=str(uuid.uuid4()),
              p=partner["partner_id"], n=partner["name"],
              c='[{"name": "C", "email": "c@p0.example", "role": "nominations"}]')


def paused_list(p: Placements, round_id: str, about: str) -> str:
    """The round's list paused by two objections about `about` (the second keeps it paused after the first is
    decided, so the decision needs no calendar); the first objection's id."""
    with p.sessions() as session, session.begin():
        content = list_publicity.listed(session, rounds.get_round(session, round_id))
    p.execute("UPDATE rounds SET status = 'publicised' WHERE id = :r", r=round_id)
    p.execute("INSERT INTO list_notices (round_id, working_days, status, content, remaining, published_by, "
              "published_at, version) VALUES (:r, 5, 'paused', CAST(:c AS json), 3, 'icd.officer', now(), 1)",
              r=round_id, c=json.dumps(content))
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    for objection in ids:
        p.execute("INSERT INTO list_objections (id, round_id, objector, objector_name, text, application_id, "
                  "lodged_at, status) VALUES (:i, :r, 'bob', 'Bob', 'Why?', :a, now(), 'open')",
                  i=objection, r=round_id, a=about)
    return ids[0]


@pytest.mark.parametrize("other", ["nominate", "uphold"])
def test_a_cancelled_application_and_a_nomination_or_upheld_objection_never_deadlock(
        placements: Placements, monkeypatch: pytest.MonkeyPatch, other: str) -> None:
    """Review 2, NS1: application.cancelled's handler takes the live round's lock before the candidate's, as
    nominate (round, offer, candidate) and an upheld objection (round, notice, objection, candidate) do. The
    handler pauses holding its first locks; the other transaction waits for the round; both then finish, the
    second seeing the withdrawal (no DeadlockDetected, no 500)."""
    p = placements
    round_id, apps = setup(p)
    contact_for(p, P0)
    s1_offer, s1_version = offer(p, apps["s1"])
    with p.sessions() as session, session.begin():
        offer_changes.answer(session, s1_offer, "s1", s1_version, True, datetime.now(UTC))
    objection = paused_list(p, round_id, apps["s1"]) if other == "uphold" else ""
    program = p.scalar("SELECT program_id FROM rounds WHERE id = :r", r=round_id)

    holding, go_on = threading.Event(), threading.Event()
    real = offer_changes.candidate_withdrawn

    def paused(*args: Any, **kwargs: Any) -> None:
        holding.set()
        assert go_on.wait(30)
        real(*args, **kwargs)

    monkeypatch.setattr(offer_changes, "candidate_withdrawn", paused)

    def cancel() -> None:
        p.deliver("application.cancelled", cancelled(approved(program, applicant="s1", application_id=apps["s1"],
                                                              choices=[P0], gpa="4.00")), revision=5)

    def act() -> None:
        with p.sessions() as session, session.begin():
            if other == "nominate":
                nominations.nominate(session, round_id, apps["s1"], "icd.officer", datetime.now(UTC), 30)
            else:
                list_publicity.decide(session, round_id, objection, "icd.officer", "uphold", "Checked.", None,
                                      datetime.now(UTC), "UTC")

    failures: dict[str, BaseException] = {}

    def guarded(name: str, work: Callable[[], None]) -> threading.Thread:
        def body() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - the test reads what each side met
                failures[name] = exc
        return threading.Thread(target=body)

    one, two = guarded("handler", cancel), guarded(other, act)
    one.start()
    assert holding.wait(30), failures
    two.start()
    waiting = 0
    for _ in range(3000):  # until PostgreSQL shows the other transaction waiting for the handler's lock
        waiting = p.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        if waiting or not two.is_alive():
            break
        threading.Event().wait(0.01)
    go_on.set()
    one.join(30)
    two.join(30)
    assert waiting, "the other transaction never waited for the handler's lock"
    assert "handler" not in failures, failures
    # it went second and met the withdrawal, refused in words: the offer it would nominate from is withdrawn, or
    # the candidate the objection is about already left the republished list
    assert isinstance(failures.get(other), PlacementError), failures
    assert p.scalar("SELECT count(*) FROM nominations") == 0
    if other == "uphold":
        assert p.scalar("SELECT status FROM list_objections WHERE id = :o", o=objection) == "open"
    assert p.scalar("SELECT status FROM offers WHERE id = :o", o=s1_offer) == "withdrawn"
    consistent(p, round_id)


def test_on_sqlite_an_accept_waits_for_a_run_and_meets_its_result(
        tmp_path: Path, paused_run: tuple[threading.Event, threading.Event]) -> None:
    """Review 2, NS3, on SQLite (the embedded deployment), which has no row locks: a manual run's locking read
    takes the database's write lock (chassis.db), so the student's accept, sent while the run computes, waits
    for it instead of committing under it; it then meets the run's result (the offer superseded, P0's places
    lowered to 0) and is refused in words, and the run stands with its events."""
    engine = make_engine(f"sqlite:///{tmp_path / 'placements.db'}")
    Base.metadata.create_all(engine)
    tables.metadata.create_all(engine)
    now = datetime.now(UTC)
    program, partner, student = (str(uuid.uuid4()) for _ in range(3))
    with Session(engine) as session, session.begin():
        session.add(Program(program_id=program, code="X", name="X", kind="student_exchange",
                            closes_at=now - timedelta(days=1), partners=[], version=1, updated_at=now))
        session.add(Candidate(application_id=student, program_id=program, applicant="stu", applicant_name="Stu",
                              gpa=Decimal("3"), choices=[{"partner_id": partner, "name": "P0", "country": None}],
                              status="eligible", revision=1))
        session.add(Place(program_id=program, partner_id=partner, partner_name="P0", places=1, source="office",
                          set_by="icd.officer", updated_at=now))
        round_id = rounds.open_round(session, program, "icd.officer", now).id
        allocation_runs.run_allocation(session, round_id, "icd.officer", "manual", now)
    with Session(engine) as session, session.begin():
        session.get_one(Place, (program, partner)).places = 0  # the office lowers P0's places; the ICD re-runs
        (held,) = offers.offers_of(session, round_id)
        held_id, held_version = held.id, held.version
    computed, go_on = paused_run
    go_on.clear()
    failures: dict[str, BaseException] = {}

    def guarded(name: str, work: Callable[[Session], object]) -> threading.Thread:
        def body() -> None:
            try:
                with Session(engine) as session, session.begin():
                    work(session)
            except BaseException as exc:  # noqa: BLE001 - the test reads what each side met
                failures[name] = exc
        return threading.Thread(target=body)

    run = guarded("run", lambda session: allocation_runs.run_allocation(
        session, round_id, "icd.officer", "manual", datetime.now(UTC)))
    accept = guarded("accept", lambda session: offer_changes.answer(
        session, held_id, "stu", held_version, True, datetime.now(UTC)))
    run.start()
    try:
        assert computed.wait(30)
        accept.start()
        accept.join(0.5)
        assert accept.is_alive(), "the accept committed while the run held its stale read"
    finally:
        go_on.set()
        run.join(30)
        accept.join(30)
    assert "run" not in failures, failures
    assert isinstance(failures.get("accept"), PlacementError) and "it is superseded" in str(
        failures["accept"]), failures
    with Session(engine) as session:
        assert [o.status for o in session.scalars(select(Offer))] == ["superseded"]
        kinds = list(session.scalars(select(tables.outbox.c.type).where(tables.outbox.c.type.like("offer.%"))
                                     .order_by(tables.outbox.c.id)))
        assert kinds == ["offer.made", "offer.superseded"]  # no offer.accepted
        assert session.scalar(select(func.count()).select_from(AllocationRun)) == 2
    engine.dispose()
