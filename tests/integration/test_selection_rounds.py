"""Selection rounds on PostgreSQL, through the API: the worked example of docs/selection-worked-example.md end to end
(12 candidates from application.approved, 4 partners, 7 places, the grid filled by the schools' coordinators, the
first run, a decline moving the waiting lists, a corrected interview score and its re-run, each as computed by hand
in tests/unit/test_ranking.py and test_allocation.py); the same inputs twice give the same result; two
coordinators scoring at once keep both cells; a coordinator of another school, a student answering another's
offer and an answer after the deadline are refused; the sweep lapses an offer with a given clock and the place
moves on."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from chassis.tokens import Identity
from eventbus import catalog
from services.placements import offer_changes, offer_lapses, scores
from services.placements.models import Round
from tests.support.placements import TUM, Placements, placements_fixture  # noqa: F401
from tests.unit.test_allocation import FIRST
from tests.unit.test_ranking import EXAMPLE, PLACES

ICD = "icd.officer"
CLOSED = "2025-03-31T23:59:00+08:00"  # the window closed before the test's clock
ME_SCHOOL = {"S02", "S06", "S09", "S11"}  # the rest are cs students
STUDENT = {s: f"student.{s.lower()}" for s in EXAMPLE}
APP = {s: str(uuid.uuid5(uuid.NAMESPACE_URL, f"selection-example/{s}")) for s in EXAMPLE}
NAME = {v: k for k, v in APP.items()}
PARTNER = {p: {"partner_id": f"7e2a0c0e-1b7a-4a55-9f1e-00000000000{p[1]}", "name": f"Partner {p}",
               "country": "DE", "region": "europe"} for p in PLACES}
PID = {v["partner_id"]: k for k, v in PARTNER.items()}


def student_roles(s: str) -> list[dict[str, Any]]:
    return [{"role": "student", "school": "me" if s in ME_SCHOOL else "cs"}]


def to_names(assignment: dict[str, str | None]) -> dict[str, str | None]:
    return {NAME[a]: (PID[p] if p else None) for a, p in assignment.items()}


def setup_example(p: Placements) -> tuple[str, str]:
    """The program, its 12 candidates (through the handlers), its places and an open round: (program, round)."""
    program = p.add_program(partners=list(PARTNER.values()), closes_at=CLOSED)["program_id"]
    for s, (gpa, cert, result, _, _, choices) in EXAMPLE.items():
        p.add_candidate(program, applicant=STUDENT[s], application_id=APP[s], gpa=gpa, language=(cert, result),
                        choices=[PARTNER[c] for c in choices], school="me" if s in ME_SCHOOL else "cs",
                        applicant_name=f"Student {s}", submitted_at=f"2025-03-{int(s[1:]):02d}T09:00:00+00:00")
    for partner, count in PLACES.items():
        p.execute("INSERT INTO places (program_id, partner_id, partner_name, places, source, set_by, updated_at) "
                  "VALUES (:g, :p, :n, :c, 'office', 'icd.officer', now())",
                  g=program, p=PARTNER[partner]["partner_id"], n=f"Partner {partner}", c=count)
    opened = p.call(ICD, "POST", "/selection-rounds", json={"program_id": program})
    assert opened.status_code == 201, opened.get_json()
    return program, opened.get_json()["id"]


def grid(*students: str, **changed: str) -> list[dict[str, Any]]:
    cells = []
    for s in students:
        cells.append({"application_id": APP[s], "criterion": "interview", "value": changed.get(s, EXAMPLE[s][3])})
        cells.append({"application_id": APP[s], "criterion": "bonus", "value": EXAMPLE[s][4]})
    return cells


def score_all(p: Placements, round_id: str) -> None:
    cs = [s for s in EXAMPLE if s not in ME_SCHOOL]
    for user, students in (("coord.cs", cs), ("coord.me", sorted(ME_SCHOOL))):
        answer = p.call(user, "PUT", f"/selection-rounds/{round_id}/scores", json=grid(*students))
        assert answer.status_code == 200, answer.get_json()


def run(p: Placements, round_id: str, reason: str = "manual") -> dict[str, Any]:
    answer = p.call(ICD, "POST", f"/selection-rounds/{round_id}/allocations", json={"reason": reason})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def offer_of(p: Placements, s: str) -> dict[str, Any]:
    """The student's open or accepted offer, as they read it."""
    mine = p.call(STUDENT[s], "GET", "/offers?mine=1", roles=student_roles(s)).get_json()["items"]
    # no parameter at all: the caller's own offers too (mine=1 only says so explicitly)
    assert p.call(STUDENT[s], "GET", "/offers", roles=student_roles(s)).get_json()["items"] == mine
    (offer,) = [o for o in mine if o["status"] in ("offered", "accepted")]
    return offer


def answer(p: Placements, s: str, verb: str, offer: dict[str, Any] | None = None, user: str | None = None) -> Any:
    offer = offer or offer_of(p, s)
    return p.call(user or STUDENT[s], "POST", f"/offers/{offer['id']}/{verb}", roles=student_roles(s),
                  json={"version": offer["version"]})


def open_offers(p: Placements) -> dict[str, str]:
    return {NAME[a]: PID[partner] for a, partner in p.rows(
        "SELECT application_id, partner_id FROM offers WHERE status IN ('offered', 'accepted')")}


def test_the_worked_example_end_to_end(placements: Placements) -> None:
    p = placements
    _, round_id = setup_example(p)
    before = p.call(ICD, "GET", f"/selection-rounds/{round_id}").get_json()
    assert len(before["ranking"]) == 12 and all(r["missing"] == ["interview"] for r in before["ranking"])
    score_all(p, round_id)

    shown = p.call(ICD, "GET", f"/selection-rounds/{round_id}").get_json()
    assert [(r["position"], NAME[r["application_id"]], r["score"]) for r in shown["ranking"]] == [
        (1, "S03", "96.80"), (2, "S07", "90.98"), (3, "S01", "89.87"), (4, "S10", "88.00"), (5, "S05", "86.40"),
        (6, "S12", "83.20"), (7, "S02", "82.47"), (8, "S08", "81.00"), (9, "S04", "81.00"), (10, "S11", "78.20"),
        (11, "S06", "78.20"), (12, "S09", "71.20")]
    s01 = next(r for r in shown["ranking"] if NAME[r["application_id"]] == "S01")
    assert s01["parts"] == {"gpa": "95.00", "language": "83.33", "interview": "88.00", "bonus": "0.00"}
    assert s01["name"] == "Student S01" and s01["school"] == "cs" and s01["missing"] == []

    first = run(p, round_id)
    assert first["number"] == 1 and first["run_by"] == ICD and first["reason"] == "manual"
    assert to_names(first["result"]["assignment"]) == FIRST
    assert {PID[k]: [NAME[a] for a in v] for k, v in first["result"]["waiting"].items()} == {
        "P1": ["S01", "S05", "S08", "S06"], "P2": ["S05", "S12", "S08", "S11"], "P3": ["S04", "S06", "S09"],
        "P4": ["S04", "S09"]}
    assert open_offers(p) == {s: partner for s, partner in FIRST.items() if partner}
    assert len(p.events("offer.made")) == 7 and len(p.events("allocation.completed")) == 1
    made = p.events("offer.made")[0]
    assert made["applicant"].startswith("student.") and made["deadline"]

    # The same inputs again: the same result, and nobody's offer changes.
    again = run(p, round_id)
    assert again["number"] == 2
    assert again["result"]["assignment"] == first["result"]["assignment"]
    assert again["result"]["waiting"] == first["result"]["waiting"] and again["result"]["changes"] == []
    assert again["inputs"] == first["inputs"]
    assert len(p.events("offer.made")) == 7

    # S03 and S10 accept; S07 declines P1: the allocation re-runs by itself and the waiting lists move.
    for s in ("S03", "S10"):
        assert answer(p, s, "accept").status_code == 200
    declined = answer(p, "S07", "decline")
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    runs = p.call(ICD, "GET", f"/selection-rounds/{round_id}/allocations").get_json()["items"]
    assert [(r["number"], r["reason"], r["run_by"]) for r in runs] == [
        (1, "manual", ICD), (2, "manual", ICD), (3, "decline", STUDENT["S07"])]
    third = runs[-1]
    assert to_names(third["result"]["assignment"]) == {
        "S03": "P1", "S01": "P1", "S10": "P2", "S05": "P2", "S12": "P3", "S02": "P4", "S08": None, "S04": "P3",
        "S11": None, "S06": None, "S09": None}
    assert [(NAME[c["application_id"]], c["kind"]) for c in third["result"]["changes"]] == [
        ("S01", "changes"), ("S05", "changes"), ("S04", "gains"), ("S07", "loses")]
    assert third["inputs"]["fixed"] == {APP["S03"]: PARTNER["P1"]["partner_id"],
                                        APP["S10"]: PARTNER["P2"]["partner_id"]}
    assert third["inputs"]["excluded"] == [APP["S07"]]
    assert open_offers(p) == {"S03": "P1", "S01": "P1", "S10": "P2", "S05": "P2", "S12": "P3", "S02": "P4",
                              "S04": "P3"}
    superseded = {(NAME[a], PID[x]) for a, x in p.rows("SELECT application_id, partner_id FROM offers "
                                                       "WHERE status = 'superseded'")}
    assert superseded == {("S01", "P2"), ("S05", "P3")}

    # S01 and S02 accept; S09's interview is corrected from 48 to 84 by the me coordinator: the ranking moves.
    for s in ("S01", "S02"):
        assert answer(p, s, "accept").status_code == 200
    corrected = p.call("coord.me", "PUT", f"/selection-rounds/{round_id}/scores",
                       json=[{"application_id": APP["S09"], "criterion": "interview", "value": "84"}])
    assert corrected.status_code == 200
    rows = corrected.get_json()["ranking"]  # the coordinator sees their school's rows, at their global position
    assert {NAME[r["application_id"]] for r in rows} == ME_SCHOOL
    s09 = next(r for r in rows if NAME[r["application_id"]] == "S09")
    assert (s09["position"], s09["score"]) == (6, "85.60")
    fourth = run(p, round_id, "score_change")
    assert to_names(fourth["result"]["assignment"]) == {
        "S03": "P1", "S01": "P1", "S10": "P2", "S05": "P2", "S09": "P3", "S12": "P3", "S02": "P4", "S08": None,
        "S04": None, "S11": None, "S06": None}
    assert [(NAME[c["application_id"]], c["kind"]) for c in fourth["result"]["changes"]] == [
        ("S09", "gains"), ("S04", "loses")]
    assert open_offers(p)["S09"] == "P3" and "S04" not in open_offers(p)
    # The detail shows each row's partner and current offer.
    detail = {NAME[r["application_id"]]: r for r in
              p.call(ICD, "GET", f"/selection-rounds/{round_id}").get_json()["ranking"]}
    assert detail["S01"]["offer"]["status"] == "accepted" and PID[detail["S01"]["allocated"]] == "P1"
    assert detail["S04"]["offer"] is None and detail["S04"]["allocated"] is None  # its P3 offer superseded


def test_two_coordinators_scoring_at_once_keep_both_cells(placements: Placements) -> None:
    p = placements
    _, round_id = setup_example(p)
    # Two coordinators of the cs school, through two requests started together.
    second_cs = [{"role": "school_coordinator", "school": "cs"}]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def enter(user: str, roles: list[dict[str, Any]] | None, cells: list[dict[str, Any]]) -> None:
        full = Identity(username=user, roles=roles or [{"role": "school_coordinator", "school": "cs"}], school="cs",
                        name=user)
        token = p.signer.sign(full, "placements", 60)
        client = p.app.test_client()
        barrier.wait()
        codes.append(client.put(f"/api/v1/selection-rounds/{round_id}/scores", json=cells,
                                headers={"Authorization": f"Bearer {token}"}).status_code)

    threads = [threading.Thread(target=enter, args=("coord.cs", None, grid("S01"))),
               threading.Thread(target=enter, args=("coord.cs2", second_cs, grid("S03")))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200, 200]
    # And two transactions open at the same time, each writing its cell before either commits.
    both_open = threading.Barrier(2)

    def in_transaction(user: str, s: str) -> None:
        with p.sessions() as session, session.begin():
            round_ = session.get(Round, round_id)
            assert round_ is not None
            scores.enter_scores(session, round_, [scores.Cell(APP[s], "interview", Decimal("70"))], user,
                                   datetime.now(UTC))
            both_open.wait()

    threads = [threading.Thread(target=in_transaction, args=("coord.cs", "S05")),
               threading.Thread(target=in_transaction, args=("coord.cs2", "S08"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = {(NAME[a], c, str(v), who) for a, c, v, who in p.rows(
        "SELECT application_id, criterion, value, entered_by FROM scores WHERE criterion = 'interview'")}
    assert stored == {("S01", "interview", "88.00", "coord.cs"), ("S03", "interview", "92.00", "coord.cs2"),
                      ("S05", "interview", "70.00", "coord.cs"), ("S08", "interview", "70.00", "coord.cs2")}


def test_a_coordinator_of_another_school_is_refused_and_nothing_changes(placements: Placements) -> None:
    p = placements
    _, round_id = setup_example(p)
    refused = p.call("coord.me", "PUT", f"/selection-rounds/{round_id}/scores", json=grid("S09", "S01"))
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert p.scalar("SELECT count(*) FROM scores") == 0
    # A student cannot score at all; out-of-range values are refused in words.
    assert p.call("alice", "PUT", f"/selection-rounds/{round_id}/scores", json=grid("S01")).status_code == 403
    bad = p.call(ICD, "PUT", f"/selection-rounds/{round_id}/scores",
                 json=[{"application_id": APP["S01"], "criterion": "interview", "value": "101"}])
    assert bad.status_code == 422 and bad.get_json()["errors"]["0"]["value"], bad.get_json()
    assert p.scalar("SELECT count(*) FROM scores") == 0
    # Only the ICD runs the allocation.
    assert p.call("coord.cs", "POST", f"/selection-rounds/{round_id}/allocations", json={}).status_code == 403


def test_a_round_opens_once_and_only_after_the_window(placements: Placements) -> None:
    p = placements
    program, _ = setup_example(p)
    again = p.call(ICD, "POST", "/selection-rounds", json={"program_id": program})
    assert again.status_code == 409 and "not closed" in again.get_json()["detail"]
    later = p.add_program(closes_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())["program_id"]
    early = p.call(ICD, "POST", "/selection-rounds", json={"program_id": later})
    assert early.status_code == 409 and "has not closed" in early.get_json()["detail"]
    assert p.call("coord.cs", "POST", "/selection-rounds", json={"program_id": later}).status_code == 403
    assert len(p.events("selection.round_opened")) == 1


def test_a_student_answering_anothers_offer_or_too_late_is_refused(placements: Placements) -> None:
    p = placements
    _, round_id = setup_example(p)
    score_all(p, round_id)
    run(p, round_id)
    theirs = offer_of(p, "S03")
    refused = answer(p, "S07", "accept", offer=theirs)  # S07 holds S03's offer's id
    assert refused.status_code == 403 and "another student's" in refused.get_json()["detail"]
    assert offer_of(p, "S03")["status"] == "offered" and offer_of(p, "S03")["version"] == theirs["version"]
    stale = answer(p, "S03", "accept", offer={**theirs, "version": theirs["version"] + 5})
    assert stale.status_code == 409
    # Past the deadline: refused in words, the offer unchanged (the sweep lapses it).
    p.execute("UPDATE offers SET deadline = now() - interval '1 minute' WHERE id = :o", o=theirs["id"])
    late = answer(p, "S03", "accept", offer=theirs)
    assert late.status_code == 409 and "deadline" in late.get_json()["detail"]
    assert offer_of(p, "S03")["status"] == "offered"
    # Staff read the round's offers; a student cannot.
    assert len(p.call(ICD, "GET", f"/offers?round_id={round_id}").get_json()["items"]) == 7
    assert p.call("alice", "GET", f"/offers?round_id={round_id}").status_code == 403


def test_the_sweep_lapses_an_offer_and_the_place_moves_on(placements: Placements) -> None:
    p = placements
    program = p.add_program(partners=[TUM], closes_at=CLOSED)["program_id"]
    first = p.add_candidate(program, applicant="alice", choices=[TUM], gpa="3.90")["application_id"]
    second = p.add_candidate(program, applicant="bob", choices=[TUM], gpa="3.10")["application_id"]
    p.execute("INSERT INTO places (program_id, partner_id, partner_name, places, source, set_by, updated_at) "
              "VALUES (:g, :p, 'TU Munich', 1, 'office', 'icd.officer', now())", g=program, p=TUM["partner_id"])
    round_id = p.call(ICD, "POST", "/selection-rounds", json={"program_id": program}).get_json()["id"]
    run(p, round_id)
    (deadline,) = [d for (d,) in p.rows("SELECT deadline FROM offers WHERE application_id = :a", a=first)]
    with p.sessions() as session, session.begin():
        assert offer_lapses.check(session, deadline - timedelta(seconds=1)) == {"offers_lapsed": 0,
                                                                                "allocation_reruns": 0}
    with p.sessions() as session, session.begin():
        assert offer_lapses.check(session, deadline + timedelta(seconds=1)) == {"offers_lapsed": 1,
                                                                                "allocation_reruns": 1}
    assert dict(p.rows("SELECT application_id, status FROM offers")) == {first: "lapsed", second: "offered"}
    (lapsed,) = p.events("offer.lapsed")
    assert lapsed["applicant"] == "alice" and lapsed["status"] == "lapsed"
    assert [r for (r,) in p.rows("SELECT reason FROM allocation_runs ORDER BY number")] == ["manual", "lapse"]


def test_a_withdrawn_candidate_frees_the_place_for_the_next(placements: Placements) -> None:
    """handlers.on_application_ended marks the candidate; offer_changes.candidate_withdrawn (which the handler is to
    call) withdraws their offers and re-runs the round (reason "withdrawal")."""
    p = placements
    _, round_id = setup_example(p)
    score_all(p, round_id)
    run(p, round_id)
    assert answer(p, "S03", "accept").status_code == 200
    news = catalog.schema("application.withdrawn")["x-asyncapi"]["examples"][0]["data"]
    p.deliver("application.withdrawn", {**news, "application_id": APP["S03"]}, revision=2)
    with p.sessions() as session, session.begin():
        offer_changes.candidate_withdrawn(session, APP["S03"], datetime.now(UTC))
    (reason, assignment), = [(r, a) for r, a in p.rows(
        "SELECT reason, result FROM allocation_runs WHERE number = 2")]
    assert reason == "withdrawal"
    assert to_names(assignment["assignment"])["S01"] == "P1" and "S03" not in to_names(assignment["assignment"])
    assert p.scalar("SELECT status FROM offers WHERE application_id = :a", a=APP["S03"]) == "withdrawn"


def final_round(p: Placements) -> tuple[str, str, str]:
    """One TUM place, alice above bob (both chose TUM): the first run offers alice the place, and the round is
    then "final" (its 差额公示 over; the publicity tests reach it through the sweep). (round, alice, bob)."""
    program = p.add_program(partners=[TUM], closes_at=CLOSED)["program_id"]
    alice = p.add_candidate(program, applicant="alice", choices=[TUM], gpa="3.90")["application_id"]
    bob = p.add_candidate(program, applicant="bob", choices=[TUM], gpa="3.10")["application_id"]
    p.execute("INSERT INTO places (program_id, partner_id, partner_name, places, source, set_by, updated_at) "
              "VALUES (:g, :p, 'TU Munich', 1, 'office', 'icd.officer', now())", g=program, p=TUM["partner_id"])
    round_id = p.call(ICD, "POST", "/selection-rounds", json={"program_id": program}).get_json()["id"]
    run(p, round_id)
    p.execute("UPDATE rounds SET status = 'final' WHERE id = :r", r=round_id)
    return round_id, alice, bob


def offered_to(p: Placements, round_id: str) -> dict[str, str]:
    return dict(p.rows("SELECT application_id, status FROM offers WHERE round_id = :r AND status IN "
                       "('offered', 'accepted')", r=round_id))


def last_reason(p: Placements, round_id: str) -> str:
    return p.scalar("SELECT reason FROM allocation_runs WHERE round_id = :r ORDER BY number DESC LIMIT 1",
                    r=round_id)


def test_a_final_round_offers_a_declined_place_to_the_next(placements: Placements) -> None:
    p = placements
    round_id, alice, bob = final_round(p)
    offer = p.rows("SELECT id, version FROM offers WHERE application_id = :a", a=alice)[0]
    declined = p.call("alice", "POST", f"/offers/{offer[0]}/decline", roles=student_roles("S01"),
                      json={"version": offer[1]})
    assert declined.status_code == 200, declined.get_json()
    assert offered_to(p, round_id) == {bob: "offered"} and last_reason(p, round_id) == "decline"
    assert p.scalar("SELECT status FROM rounds WHERE id = :r", r=round_id) == "final"
    # the scores stay frozen after the 差额公示
    frozen = p.call(ICD, "PUT", f"/selection-rounds/{round_id}/scores",
                    json=[{"application_id": bob, "criterion": "interview", "value": "50"}])
    assert frozen.status_code == 409 and "final" in frozen.get_json()["detail"]


def test_a_final_round_offers_a_lapsed_place_to_the_next(placements: Placements) -> None:
    p = placements
    round_id, alice, bob = final_round(p)
    (deadline,) = [d for (d,) in p.rows("SELECT deadline FROM offers WHERE application_id = :a", a=alice)]
    with p.sessions() as session, session.begin():
        assert offer_lapses.check(session, deadline + timedelta(seconds=1)) == {"offers_lapsed": 1,
                                                                                "allocation_reruns": 1}
    assert offered_to(p, round_id) == {bob: "offered"} and last_reason(p, round_id) == "lapse"


def test_a_final_round_offers_a_withdrawn_students_place_on_and_cancels_their_nomination(
        placements: Placements) -> None:
    p = placements
    round_id, alice, bob = final_round(p)
    p.execute("UPDATE offers SET status = 'accepted', version = version + 1 WHERE application_id = :a", a=alice)
    nomination = str(uuid.uuid4())
    p.execute("INSERT INTO nominations (id, round_id, application_id, partner_id, partner_name, status, "
              "nominated_by, nominated_at, version) VALUES (:i, :r, :a, :p, 'TU Munich', 'approved', :icd, now(), 2)",
              i=nomination, r=round_id, a=alice, p=TUM["partner_id"], icd=ICD)
    news = catalog.schema("application.withdrawn")["x-asyncapi"]["examples"][0]["data"]
    p.deliver("application.withdrawn", {**news, "application_id": alice}, revision=2)
    assert p.scalar("SELECT status FROM nominations WHERE id = :i", i=nomination) == "cancelled"
    assert p.events("nomination.cancelled")[-1]["reason"] == "withdrawal"
    assert offered_to(p, round_id) == {bob: "offered"} and last_reason(p, round_id) == "withdrawal"
    (withdrawn,) = p.events("offer.withdrawn")
    assert withdrawn["application_id"] == alice and withdrawn["applicant"] == "alice"


def test_a_final_round_offers_a_rejected_students_place_to_the_next(placements: Placements) -> None:
    """offer_changes.place_freed is what nominations calls once the partner rejected the nomination."""
    p = placements
    round_id, alice, bob = final_round(p)
    p.execute("UPDATE offers SET status = 'accepted', version = version + 1 WHERE application_id = :a", a=alice)
    with p.sessions() as session, session.begin():
        offer_changes.place_freed(session, round_id, alice, ICD, datetime.now(UTC))
    assert offered_to(p, round_id) == {bob: "offered"} and last_reason(p, round_id) == "rejection"
    assert p.scalar("SELECT status FROM offers WHERE application_id = :a", a=alice) == "withdrawn"


def test_a_withdrawal_before_the_approval_leaves_a_tombstone(placements: Placements) -> None:
    """The withdrawal overtook the approval (a delayed retry): the approval, older, does not make it eligible;
    an excluded candidate stays excluded on a newer approval."""
    p = placements
    program = p.add_program(partners=[TUM], closes_at=CLOSED)["program_id"]
    application = str(uuid.uuid4())
    news = catalog.schema("application.withdrawn")["x-asyncapi"]["examples"][0]["data"]
    p.deliver("application.withdrawn", {**news, "application_id": application, "program_id": program}, revision=3)
    p.add_candidate(program, applicant="alice", application_id=application, choices=[TUM], revision=2)
    assert p.rows("SELECT status, revision FROM candidates WHERE application_id = :a", a=application) == [
        ("withdrawn", 3)]
    other = p.add_candidate(program, applicant="bob", choices=[TUM], revision=1)["application_id"]
    p.execute("UPDATE candidates SET status = 'excluded' WHERE application_id = :a", a=other)
    p.add_candidate(program, applicant="bob", application_id=other, choices=[TUM], revision=2)
    assert p.scalar("SELECT status FROM candidates WHERE application_id = :a", a=other) == "excluded"


def test_a_cell_named_twice_or_out_of_range_is_refused_with_field_errors(placements: Placements) -> None:
    p = placements
    _, round_id = setup_example(p)
    twice = p.call(ICD, "PUT", f"/selection-rounds/{round_id}/scores", json=[
        {"application_id": APP["S01"], "criterion": "interview", "value": "80"},
        {"application_id": APP["S01"], "criterion": "interview", "value": "81"}])
    assert twice.status_code == 422, twice.get_json()
    assert twice.get_json()["errors"]["1"]["criterion"]
    bonus = p.call(ICD, "PUT", f"/selection-rounds/{round_id}/scores",
                   json=[{"application_id": APP["S01"], "criterion": "bonus", "value": "11"}])
    assert bonus.status_code == 422 and bonus.get_json()["errors"]["json"]["cells"]["0"]["value"]
    unknown = p.call(ICD, "PUT", f"/selection-rounds/{round_id}/scores",
                     json=[{"application_id": str(uuid.uuid4()), "criterion": "bonus", "value": "1"}])
    assert unknown.status_code == 422 and unknown.get_json()["errors"]["json"]["0"]["application_id"]
    assert p.scalar("SELECT count(*) FROM scores") == 0


def test_the_icd_closes_a_round_and_the_program_opens_a_new_one(placements: Placements) -> None:
    p = placements
    program, round_id = setup_example(p)
    assert p.call(ICD, "POST", f"/selection-rounds/{round_id}/close", json={}).status_code == 409  # never ran
    score_all(p, round_id)
    run(p, round_id)
    assert p.call("coord.cs", "POST", f"/selection-rounds/{round_id}/close", json={}).status_code == 403
    closed = p.call(ICD, "POST", f"/selection-rounds/{round_id}/close", json={})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert p.call(ICD, "POST", f"/selection-rounds/{round_id}/allocations", json={}).status_code == 409
    again = p.call(ICD, "POST", "/selection-rounds", json={"program_id": program, "publicity_days": 7})
    assert again.status_code == 201, again.get_json()
    assert p.scalar("SELECT publicity_days FROM rounds WHERE id = :r", r=again.get_json()["id"]) == 7
