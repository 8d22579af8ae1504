"""The placements service on PostgreSQL (issue 20, items 1-2): it starts on its migrated database with every
table of the design; its handlers keep the copies of programs (program.saved, older news ignored) and of the
student exchanges' candidates (application.approved with its `selection`, withdrawn, cancelled); and the places at
partners: staff read them, only the ICD and admins set them by hand or count them from the signed agreements valid
when the program's window closes, keeping the office's numbers unless asked to replace them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import inspect

from services.placements import worker
from tests.support.placements import NUS, TUM, Placements, approved, cancelled, placements_fixture, withdrawn  # noqa: F401

TABLES = {"agreements", "agreement_terms", "programs", "places", "candidates", "rounds", "scores", "allocation_runs",
          "offers", "nominations", "outbox", "inbox"}


def _agreement(p: Placements, partner_id: str, places: int, status: str = "signed", valid_from: str = "2030-01-01",
               valid_to: str = "2034-12-31", direction: str = "outgoing", mobility_type: str = "student_studies",
               academic_years: str = "[]") -> str:
    agreement_id = str(uuid.uuid4())
    p.execute("INSERT INTO agreements (id, partner_id, partner_name, partner_country, type, status, valid_from, "
              "valid_to, contacts, created_by, created_at, updated_at, version) VALUES (:id, :partner, 'P', 'DE', "
              "'student_exchange', :status, :vf, :vt, '[]', 'icd.officer', now(), now(), 1)",
              id=agreement_id, partner=partner_id, status=status, vf=valid_from, vt=valid_to)
    p.execute("INSERT INTO agreement_terms (id, agreement_id, direction, mobility_type, places_per_year, "
              "total_months, subject_codes, degree_levels, languages, academic_years) VALUES (:id, :a, :d, :m, :n, "
              "5, '[]', '[]', '[]', :y)", id=str(uuid.uuid4()), a=agreement_id, d=direction, m=mobility_type,
              n=places, y=academic_years)
    return agreement_id


def test_the_service_starts_on_its_migrated_database(placements: Placements) -> None:
    assert TABLES <= set(inspect(placements.engine).get_table_names())
    assert placements.client.get("/healthz").status_code == 200
    assert placements.client.get("/readyz").status_code == 200
    assert placements.call("alice", "GET", "/places?program_id=" + str(uuid.uuid4())).status_code == 403


def test_the_worker_binds_to_the_news_it_copies() -> None:
    assert {"program.saved", "application.approved", "application.withdrawn",
            "application.cancelled", "calendar.changed"} == set(worker.handlers(None))  # type: ignore[arg-type]


def test_program_saved_keeps_the_latest_copy(placements: Placements) -> None:
    data = placements.add_program(revision=2)
    placements.deliver("program.saved", {**data, "name": "Older name"}, revision=1)  # late, older news
    assert placements.scalar("SELECT name FROM programs WHERE program_id = :i", i=data["program_id"]) == data["name"]
    placements.deliver("program.saved", {**data, "name": "Renamed", "partners": [TUM]}, revision=3)
    row = placements.rows("SELECT name, version, partners FROM programs WHERE program_id = :i",
                          i=data["program_id"])[0]
    assert (row.name, row.version, [p["partner_id"] for p in row.partners]) == ("Renamed", 3, [TUM["partner_id"]])


def test_an_approved_student_exchange_becomes_a_candidate_until_withdrawn(placements: Placements) -> None:
    program = placements.add_program()
    alice = placements.add_candidate(program["program_id"], applicant="alice", revision=5, choices=[NUS, TUM])
    bob = placements.add_candidate(program["program_id"], applicant="bob", revision=4, gpa="3.9")
    row = placements.rows("SELECT * FROM candidates WHERE application_id = :i", i=alice["application_id"])[0]
    assert (row.program_id, row.applicant, row.school, row.status, row.revision) == (
        program["program_id"], "alice", "cs", "eligible", 5)
    assert [c["partner_id"] for c in row.choices] == [NUS["partner_id"], TUM["partner_id"]]
    assert (row.gpa, row.language_type, row.language_score, row.term) == (Decimal("3.52"), "IELTS", Decimal("7.0"),
                                                                          "2031-fall")
    assert row.submitted_at is not None

    placements.deliver("application.withdrawn", withdrawn(alice), revision=6)
    placements.deliver("application.cancelled", cancelled(bob), revision=3)  # older: no effect
    statuses = dict(placements.rows("SELECT applicant, status FROM candidates"))
    assert statuses == {"alice": "withdrawn", "bob": "eligible"}
    placements.deliver("application.cancelled", cancelled(bob), revision=7)
    assert placements.scalar("SELECT status FROM candidates WHERE applicant = 'bob'") == "withdrawn"


def test_other_kinds_and_approvals_without_a_selection_are_not_candidates(placements: Placements) -> None:
    program = placements.add_program()
    placements.add_candidate(program["program_id"], applicant="alice", kind="faculty_exchange")
    plain = {k: v for k, v in approved(program["program_id"], applicant="bob").items() if k != "selection"}
    placements.deliver("application.approved", plain)  # news from before the selection block
    assert placements.scalar("SELECT count(*) FROM candidates") == 0


def test_only_a_student_exchanges_early_withdrawal_leaves_a_tombstone(placements: Placements) -> None:
    """Review 2, N1: a withdrawal before any approval writes a tombstone only for a student exchange of a program
    (the one kind that becomes a candidate); other kinds' withdrawals leave no row to pile up in runs' inputs."""
    p = placements
    program = p.add_program()["program_id"]
    trip = approved(program, applicant="bob", kind="faculty_exchange")
    p.deliver("application.withdrawn", withdrawn(trip), revision=2)
    p.deliver("application.cancelled", cancelled({**approved(program, applicant="bob"), "program_id": None}),
              revision=2)
    assert p.scalar("SELECT count(*) FROM candidates") == 0
    early = approved(program, applicant="alice")
    p.deliver("application.withdrawn", withdrawn(early), revision=3)
    p.deliver("application.approved", early, revision=2)  # the older approval, delivered late
    assert p.rows("SELECT program_id, status FROM candidates") == [(program, "withdrawn")]


def test_places_are_set_by_the_icd_and_read_by_staff_only(placements: Placements) -> None:
    program = placements.add_program()
    path = f"/places/{program['program_id']}/{TUM['partner_id']}"
    for refused in ("alice", "coord.cs"):
        response = placements.call(refused, "PUT", path, json={"places": 3})
        assert response.status_code == 403 and response.content_type == "application/problem+json"
    assert placements.scalar("SELECT count(*) FROM places") == 0

    response = placements.call("icd.officer", "PUT", path, json={"places": 3})
    assert response.status_code == 200, response.json
    listed = placements.call("coord.cs", "GET", f"/places?program_id={program['program_id']}")
    assert listed.status_code == 200
    items = {i["partner_id"]: i for i in listed.json["items"]}
    assert (items[TUM["partner_id"]]["places"], items[TUM["partner_id"]]["source"],
            items[TUM["partner_id"]]["set_by"]) == (3, "office", "icd.officer")
    assert items[NUS["partner_id"]]["places"] is None
    assert placements.call("alice", "GET", f"/places?program_id={program['program_id']}").status_code == 403


def test_bad_places_input_is_refused_as_problems(placements: Placements) -> None:
    program = placements.add_program()
    base = f"/places/{program['program_id']}"
    for body in ({"places": -1}, {"places": "3"}, {"places": 3, "source": "agreement"}, {}):
        response = placements.call("icd.officer", "PUT", f"{base}/{TUM['partner_id']}", json=body)
        assert response.status_code == 422 and response.content_type == "application/problem+json", body
    other = placements.call("icd.officer", "PUT", f"{base}/{uuid.uuid4()}", json={"places": 1})
    assert other.status_code == 422 and other.content_type == "application/problem+json"
    unknown = placements.call("icd.officer", "GET", f"/places?program_id={uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.content_type == "application/problem+json"
    assert placements.call("icd.officer", "GET", "/places").status_code == 422


def test_places_from_agreements_keep_the_office_numbers_unless_replaced(placements: Placements) -> None:
    program = placements.add_program()
    tum_a = _agreement(placements, TUM["partner_id"], 2)
    _agreement(placements, TUM["partner_id"], 1, valid_from="2029-01-01")
    _agreement(placements, TUM["partner_id"], 5, status="draft")                          # not signed
    _agreement(placements, TUM["partner_id"], 7, valid_to="2031-03-30")                   # ended before the close
    _agreement(placements, TUM["partner_id"], 4, direction="incoming")                    # their students
    _agreement(placements, TUM["partner_id"], 6, mobility_type="staff_teaching")          # staff
    _agreement(placements, NUS["partner_id"], 4)
    recount = f"/places/{program['program_id']}/from-agreements"
    assert placements.call("coord.cs", "POST", recount).status_code == 403

    counted = placements.call("icd.officer", "POST", recount)
    assert counted.status_code == 200, counted.json
    items = {i["partner_id"]: i for i in counted.json["items"]}
    assert (items[TUM["partner_id"]]["places"], items[TUM["partner_id"]]["source"],
            items[TUM["partner_id"]]["agreement_id"]) == (3, "agreement", tum_a)
    assert items[NUS["partner_id"]]["places"] == 4 and counted.json["kept"] == []

    assert placements.call("admin", "PUT", f"/places/{program['program_id']}/{NUS['partner_id']}",
                           json={"places": 1}).status_code == 200
    again = placements.call("icd.officer", "POST", recount)
    assert again.json["kept"] == [NUS["partner_id"]]
    assert {i["partner_id"]: i["places"] for i in again.json["items"]} == {TUM["partner_id"]: 3, NUS["partner_id"]: 1}
    replaced = placements.call("icd.officer", "POST", recount + "?replace=true")
    assert {i["partner_id"]: (i["places"], i["source"]) for i in replaced.json["items"]} == {
        TUM["partner_id"]: (3, "agreement"), NUS["partner_id"]: (4, "agreement")}


def test_a_term_limited_to_another_academic_year_does_not_count(placements: Placements) -> None:
    program = placements.add_program()  # its window closes 2031-03-31
    placements.add_candidate(program["program_id"], applicant="alice")  # term 2031-fall: academic year 2031/2032
    _agreement(placements, TUM["partner_id"], 2, academic_years='["2031/2032"]')
    _agreement(placements, TUM["partner_id"], 5, academic_years='["2033/2034"]')  # another year: not counted
    _agreement(placements, NUS["partner_id"], 3, academic_years='["2030/2031", "2032/2033"]')
    counted = placements.call("icd.officer", "POST", f"/places/{program['program_id']}/from-agreements")
    assert counted.status_code == 200, counted.json
    assert {i["partner_id"]: i["places"] for i in counted.json["items"]} == {TUM["partner_id"]: 2,
                                                                             NUS["partner_id"]: 0}
