"""Nomination to the partner on PostgreSQL (issue 20 item 6): the ICD nominates a student who accepted their
offer; the partner's contact gets a signed link (in the private nomination.link_issued only); the link shows that
one student and answers once, with a PDF acceptance letter; a used, an expired and a tampered link are each refused
for their own reason; the ICD may record the answer instead; a rejection gives the place to the next on the
waiting list and leaves the student unplaced; students neither nominate nor answer."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis import signed_links
from services.placements import allocation_runs, nominations, offer_changes, offers, partner_links, rounds
from tests.support.placements import NUS, TUM, Placements, placements_fixture  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONTACT = {"name": "Dr. Anna Berg", "email": "incoming@tum.example", "phone": "", "role": "nominations"}


def _setup(p: Placements) -> dict[str, Any]:
    """One TUM place, alice ranked above bob (both chose TUM first), alice offered TUM and accepting it; TUM's
    signed agreement names its contact."""
    program = p.add_program()
    alice = p.add_candidate(program["program_id"], applicant="alice", gpa="3.9", choices=[TUM])
    bob = p.add_candidate(program["program_id"], applicant="bob", gpa="3.1", choices=[TUM, NUS])
    p.execute("INSERT INTO places (program_id, partner_id, partner_name, places, source, set_by, updated_at) VALUES "
              "(:p, :t, 'TU Munich', 1, 'office', 'icd.officer', now()), (:p, :n, 'NUS', 0, 'office', "
              "'icd.officer', now())", p=program["program_id"], t=TUM["partner_id"], n=NUS["partner_id"])
    p.execute("INSERT INTO agreements (id, partner_id, partner_name, partner_country, type, status, valid_from, "
              "valid_to, contacts, created_by, created_at, updated_at, version) VALUES (:id, :partner, 'TU Munich', "
              "'DE', 'student_exchange', 'signed', '2030-01-01', '2034-12-31', :contacts, 'icd.officer', now(), "
              "now(), 1)", id=str(uuid.uuid4()), partner=TUM["partner_id"], contacts=json.dumps([CONTACT]))
    now = datetime(2031, 4, 10, 2, 0, tzinfo=UTC)  # the program's window closed on 2031-03-31
    with p.sessions() as session, session.begin():
        round_ = rounds.open_round(session, program["program_id"], "icd.officer", now)
        allocation_runs.run_allocation(session, round_.id, "icd.officer", "manual", now)
        offer = next(o for o in offers.offers_of(session, round_.id) if o.application_id == alice["application_id"])
        offer_changes.answer(session, offer.id, "alice", offer.version, True, now)
        round_id = round_.id
    return {"program": program, "alice": alice, "bob": bob, "round_id": round_id}


def _nominate(p: Placements, s: dict[str, Any], user: str = "icd.officer") -> Any:
    return p.call(user, "POST", "/nominations", json={"round_id": s["round_id"],
                                                      "application_id": s["alice"]["application_id"]})


PAGE = [{"role": "partner_page", "school": None}]  # the gateway's partner answer page, the one caller admitted


def _token(p: Placements) -> str:
    """The link's token as notifications mints it: the event's id and nonce, signed with the shared keyring."""
    issued = p.events("nomination.link_issued")[-1]
    keyring = signed_links.load_keyring(p.settings.partner_link_keys_file)
    return signed_links.partner_answer_token(keyring, issued["nomination_id"], issued["link_nonce"])


def _answer(p: Placements, token: str, decision: str = "approve", letter: bytes | None = PDF) -> Any:
    form: dict[str, Any] = {"decision": decision, "comment": "Welcome!"}
    if letter is not None:
        form["letter"] = (io.BytesIO(letter), "acceptance.pdf")
    return p.call("gateway:partner", "POST", f"/partner-answers/{token}", roles=PAGE, data=form,
                  content_type="multipart/form-data")


def test_the_partner_answers_once_by_its_link_with_a_letter(placements: Placements) -> None:
    s = _setup(placements)
    nominated = _nominate(placements, s)
    assert nominated.status_code == 201, nominated.json
    assert (nominated.json["status"], nominated.json["partner_id"]) == ("nominated", TUM["partner_id"])
    public = placements.events("nomination.nominated")
    assert len(public) == 1 and "link_url" not in public[0] and "incoming@tum.example" not in json.dumps(public)
    issued = placements.events("nomination.link_issued")[-1]
    assert issued["contact_email"] == "incoming@tum.example" and issued["applicant_name"]
    token = _token(placements)
    # the bus and the outbox hold the link's ingredients, never the link: no token, no /partner/ address
    outbox = json.dumps([body for (body,) in placements.rows("SELECT body FROM outbox")])
    assert token not in outbox and "/partner/nominations/" not in outbox and "link_url" not in issued

    shown = placements.call("gateway:partner", "GET", f"/partner-answers/{token}", roles=PAGE)
    assert shown.status_code == 200, shown.json
    assert shown.json["student_name"] == s["alice"]["applicant_name"] and shown.json["partner_name"] == "TU Munich"
    assert shown.json["term"] == "2031-fall" and shown.json["program_name"] == "Exchange 2031 fall"
    text = json.dumps(shown.json)
    for private in (s["bob"]["applicant_name"], "bob", "3.9", "alice@", "incoming@tum.example"):
        assert private not in text, private

    answered = _answer(placements, token)
    assert answered.status_code == 200, answered.json
    row = placements.rows("SELECT status, answered_by, answered_via, letter, link_used_at FROM nominations")[0]
    assert (row.status, row.answered_by, row.answered_via) == ("approved", "partner:incoming@tum.example", "link")
    assert row.letter["content_type"] == "application/pdf" and row.letter["size"] == len(PDF)
    assert row.link_used_at is not None
    approved = placements.events("nomination.approved")
    assert [(e["status"], e["answered_by"], e["has_letter"]) for e in approved] == [("approved", "partner", True)]
    assert "incoming@tum.example" not in json.dumps(approved) and "letter" not in approved[0]
    assert row.letter["sha256"] not in json.dumps(approved)

    again = _answer(placements, token, "reject")
    assert again.status_code == 409 and again.json["reason"] == "used"
    assert placements.call("x", "GET", f"/partner-answers/{token}", roles=PAGE).json["reason"] == "used"
    assert placements.scalar("SELECT status FROM nominations") == "approved"
    assert _nominate(placements, s).status_code == 409  # one live nomination per student


def test_an_expired_and_a_tampered_link_are_refused_each_for_its_reason(placements: Placements) -> None:
    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    token = _token(placements)
    keyring = partner_links.load_secrets(partner_links.keys_file(placements.settings))
    later = datetime.now(UTC) + timedelta(days=partner_links.link_days(placements.settings), seconds=1)
    with placements.sessions() as session:
        try:
            nominations.by_link(session, keyring, token, later)
            raise AssertionError("an expired link was accepted")
        except partner_links.Expired:
            pass
        assert nominations.by_link(session, keyring, token, datetime.now(UTC)).status == "nominated"
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other = partner_links.sign(["not our secret"], placements.scalar("SELECT id FROM nominations"), "x")
    for bad in (forged, other, "garbage"):
        refused = placements.call("x", "GET", f"/partner-answers/{bad}", roles=PAGE)
        assert refused.status_code == 404 and refused.json["reason"] == "tampered", bad
        assert refused.content_type == "application/problem+json"

    placements.execute("UPDATE nominations SET link_expires_at = now() - interval '1 minute'")
    expired = _answer(placements, token)
    assert expired.status_code == 410 and expired.json["reason"] == "expired"
    assert placements.scalar("SELECT status FROM nominations") == "nominated"


def test_a_letter_that_is_not_a_pdf_is_refused_and_the_link_stays_usable(placements: Placements) -> None:
    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    token = _token(placements)
    refused = _answer(placements, token, letter=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert refused.status_code == 415
    assert _answer(placements, token, letter=b"<html>not a letter</html>").status_code == 415
    assert placements.scalar("SELECT link_used_at FROM nominations") is None
    assert _answer(placements, token, letter=None).status_code == 200


def test_a_rejection_frees_the_place_for_the_next_and_leaves_the_student_unplaced(placements: Placements) -> None:
    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    assert _answer(placements, _token(placements), "reject").status_code == 200
    assert placements.scalar("SELECT status FROM nominations") == "rejected"
    run = placements.rows("SELECT reason, result FROM allocation_runs ORDER BY number DESC LIMIT 1")[0]
    assert run.reason == "rejection"
    assert run.result["assignment"].get(s["bob"]["application_id"]) == TUM["partner_id"]
    assert not run.result["assignment"].get(s["alice"]["application_id"])
    offers = dict(placements.rows("SELECT application_id, status FROM offers WHERE status IN ('offered', 'accepted')"))
    assert offers == {s["bob"]["application_id"]: "offered"}
    assert [e["status"] for e in placements.events("nomination.rejected")] == ["rejected"]



def test_a_partners_rejection_in_a_final_round_offers_the_place_to_the_next(placements: Placements) -> None:
    """The usual order: nominated once the 差额公示 ended (the round is final); the waiting list still moves."""
    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    placements.execute("UPDATE rounds SET status = 'final' WHERE id = :r", r=s["round_id"])
    assert _answer(placements, _token(placements), "reject").status_code == 200
    run = placements.rows("SELECT reason, run_by FROM allocation_runs ORDER BY number DESC LIMIT 1")[0]
    assert tuple(run) == ("rejection", rounds.SYSTEM)  # the partner is no user: the system re-runs
    offers = dict(placements.rows("SELECT application_id, status FROM offers WHERE status IN ('offered', 'accepted')"))
    assert offers == {s["bob"]["application_id"]: "offered"}
    assert placements.scalar("SELECT status FROM offers WHERE application_id = :a",
                             a=s["alice"]["application_id"]) == "withdrawn"
    assert placements.scalar("SELECT status FROM rounds WHERE id = :r", r=s["round_id"]) == "final"


def test_the_links_answer_names_the_contact_it_was_mailed_to(placements: Placements) -> None:
    """The agreement's contact changes after the link went out: the answer still names the one who got it."""
    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    assert placements.scalar("SELECT link_contact_email FROM nominations") == CONTACT["email"]
    placements.execute("UPDATE agreements SET contacts = :c", c=json.dumps([{**CONTACT, "email": "new@tum.example"}]))
    assert _answer(placements, _token(placements)).status_code == 200
    assert placements.scalar("SELECT answered_by FROM nominations") == f"partner:{CONTACT['email']}"
    assert placements.events("nomination.approved")[-1]["answered_by"] == "partner"  # the address stays private

def test_the_icd_records_an_answer_and_cancels_and_students_cannot(placements: Placements) -> None:
    s = _setup(placements)
    assert _nominate(placements, s, "alice").status_code == 403
    assert _nominate(placements, s, "coord.cs").status_code == 403
    nominated = _nominate(placements, s).json
    path = f"/nominations/{nominated['id']}"
    assert placements.call("alice", "GET", path).status_code == 200  # her own
    assert placements.call("bob", "GET", path).status_code == 404
    assert placements.call("alice", "POST", f"{path}/answer", json={"decision": "approve", "version": 1}
                           ).status_code == 403
    stale = placements.call("icd.officer", "POST", f"{path}/answer", json={"decision": "approve", "version": 9})
    assert stale.status_code == 409 and stale.content_type == "application/problem+json"
    recorded = placements.call("icd.officer", "POST", f"{path}/answer",
                               json={"decision": "approve", "comment": "By e-mail", "version": 1})
    assert recorded.status_code == 200, recorded.json
    assert (recorded.json["status"], recorded.json["answered_via"], recorded.json["answered_by"]) == (
        "approved", "office", "icd.officer")
    token = _token(placements)
    closed = placements.call("x", "GET", f"/partner-answers/{token}", roles=PAGE)
    assert closed.status_code == 409 and closed.json["reason"] == "closed"
    listed = placements.call("coord.cs", "GET", f"/nominations?round_id={s['round_id']}")
    assert listed.status_code == 200 and [n["id"] for n in listed.json["items"]] == [nominated["id"]]
    assert placements.call("alice", "GET", f"/nominations?round_id={s['round_id']}").status_code == 403
    cancel = placements.call("icd.officer", "POST", f"{path}/cancel", json={})
    assert cancel.status_code == 409  # approved already: nothing to cancel


def test_the_icd_cancels_a_waiting_nomination_and_its_link_stops(placements: Placements) -> None:
    s = _setup(placements)
    nominated = _nominate(placements, s).json
    token = _token(placements)
    assert placements.call("alice", "POST", f"/nominations/{nominated['id']}/cancel", json={}).status_code == 403
    cancelled = placements.call("icd.officer", "POST", f"/nominations/{nominated['id']}/cancel", json={"version": 1})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert _answer(placements, token).json["reason"] == "closed"
    assert [e["status"] for e in placements.events("nomination.cancelled")] == ["cancelled"]


def test_the_link_is_mailed_to_the_partner_contact_and_the_student_hears_the_answer(placements: Placements) -> None:
    from services.notifications import partner_link, rules, templates

    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    issued = placements.events("nomination.link_issued")[-1]
    base = placements.settings.public_base_url
    people = rules.recipients(None, "nomination.link_issued", issued)  # type: ignore[arg-type]
    assert [(p.username, p.contacts, p.locale) for p in people] == [
        ("partner:incoming@tum.example", {"email": "incoming@tum.example"}, "en")]
    # notifications mints the link with the keyring it mounts; the event itself carries none
    told = partner_link.with_link(issued, base, placements.settings.partner_link_keys_file)
    assert "link_url" not in issued
    english = templates.render("nomination.link_issued", "en", told, base)
    assert english.link.startswith(f"{base}/partner/nominations/") and english.link in english.body
    assert "Dr. Anna Berg" in english.body and s["alice"]["applicant_name"] in english.body
    assert "TU Munich" in templates.render("nomination.link_issued", "zh", told, base).body
    mailed = english.link.rsplit("/", 1)[1]  # the e-mailed link works
    assert placements.call("gateway:partner", "GET", f"/partner-answers/{mailed}", roles=PAGE).status_code == 200
    assert _answer(placements, mailed, "reject").status_code == 200
    told = templates.render("nomination.rejected", "zh", placements.events("nomination.rejected")[-1], base)
    assert "未接受" in told.subject and "/partner/" not in told.body


def test_a_student_leaving_cancels_their_live_nomination_waiting_or_approved(placements: Placements) -> None:
    s = _setup(placements)
    nominated = _nominate(placements, s).json
    token = _token(placements)
    assert _answer(placements, token).status_code == 200  # approved: still live
    now = datetime(2031, 4, 20, 2, 0, tzinfo=UTC)
    with placements.sessions() as session, session.begin():
        gone = nominations.cancel_for_student(session, s["alice"]["application_id"], now, "withdrawal")
        assert [n.id for n in gone] == [nominated["id"]]
    with placements.sessions() as session, session.begin():  # nothing live left: a second call does nothing
        assert nominations.cancel_for_student(session, s["alice"]["application_id"], now, "withdrawal") == []
    assert placements.scalar("SELECT status FROM nominations") == "cancelled"
    told = placements.events("nomination.cancelled")
    assert [(e["status"], e["reason"]) for e in told] == [("cancelled", "withdrawal")]


def test_only_the_partner_page_calls_the_link_api_and_the_signature_age_is_held(placements: Placements) -> None:
    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    token = _token(placements)
    for user, roles in (("icd.officer", None), ("alice", None), ("someone", [])):
        assert placements.call(user, "GET", f"/partner-answers/{token}", roles=roles).status_code == 403, user
    keyring = partner_links.load_secrets(partner_links.keys_file(placements.settings))
    with placements.sessions() as session:
        try:  # the signature's own time stamp: a token older than max_age is refused as expired
            nominations.by_link(session, keyring, token, datetime.now(UTC), max_age_seconds=-1)
            raise AssertionError("a token past max_age was accepted")
        except partner_links.Expired:
            pass


def test_school_staff_read_only_their_school_nominations_and_the_letter(placements: Placements) -> None:
    s = _setup(placements)
    nominated = _nominate(placements, s).json
    assert _answer(placements, _token(placements)).status_code == 200
    path = f"/nominations/{nominated['id']}"
    other = [{"role": "school_coordinator", "school": "med"}]
    listed = placements.call("coord.med", "GET", f"/nominations?round_id={s['round_id']}", roles=other)
    assert listed.status_code == 200 and listed.json["items"] == []
    assert placements.call("coord.med", "GET", path, roles=other).status_code == 404
    assert placements.call("coord.med", "GET", f"{path}/letter", roles=other).status_code == 404
    for user in ("icd.officer", "coord.cs", "alice"):
        letter = placements.call(user, "GET", f"{path}/letter")
        assert letter.status_code == 200, user
        assert letter.data == PDF and letter.headers["Content-Disposition"].startswith("attachment")
    assert placements.call("bob", "GET", f"{path}/letter").status_code == 404


def _race(engine: Any, token: str, keyring: list[str]) -> list[str]:
    """Two answers to one link at once: both read the nomination as unused before either writes (a barrier in
    the link check), then both try to claim it. Returns each thread's outcome."""
    both, real, outcomes = threading.Barrier(2, timeout=10), partner_links.check, []

    def check(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        both.wait()

    def answer(approve: bool) -> None:
        try:
            with Session(engine) as session, session.begin():
                nominations.answer_by_link(session, keyring, token, approve, None, datetime.now(UTC))
            outcomes.append("ok")
        except partner_links.LinkRefused as exc:
            outcomes.append(exc.reason)

    partner_links.check = check  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=answer, args=(a,)) for a in (True, False)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        partner_links.check = real  # type: ignore[assignment]
    return sorted(outcomes)


def test_two_answers_at_once_on_postgresql_one_wins(placements: Placements) -> None:
    s = _setup(placements)
    assert _nominate(placements, s).status_code == 201
    keyring = partner_links.load_secrets(partner_links.keys_file(placements.settings))
    assert _race(placements.engine, _token(placements), keyring) == ["ok", "used"]
    answered = placements.events("nomination.approved") + placements.events("nomination.rejected")
    assert len(answered) == 1


def test_two_answers_at_once_on_sqlite_one_wins(tmp_path: Path) -> None:
    from chassis.db import make_engine
    from eventbus import tables
    from services.placements.models import Agreement, Base, Candidate, Place, Program

    engine = make_engine(f"sqlite:///{tmp_path / 'placements.db'}")
    Base.metadata.create_all(engine)
    tables.metadata.create_all(engine)
    now, program, partner, student = datetime.now(UTC), str(uuid.uuid4()), TUM["partner_id"], str(uuid.uuid4())
    keyring = ["k" * 40]
    with Session(engine) as session, session.begin():
        session.add(Program(program_id=program, code="X", name="X", kind="student_exchange",
                            closes_at=now - timedelta(days=1), partners=[], version=1, updated_at=now))
        session.add(Candidate(application_id=student, program_id=program, applicant="alice", applicant_name="A",
                              gpa=Decimal("3"), term="2031-fall", status="eligible", revision=1,
                              choices=[{"partner_id": partner, "name": "TU Munich", "country": "DE"}]))
        session.add(Place(program_id=program, partner_id=partner, partner_name="TU Munich", places=1,
                          source="office", set_by="x", updated_at=now))
        session.add(Agreement(id=str(uuid.uuid4()), partner_id=partner, partner_name="TU Munich",
                              partner_country="DE", type="student_exchange", status="signed", contacts=[CONTACT],
                              created_by="x", created_at=now, updated_at=now, version=1))
        round_ = rounds.open_round(session, program, "icd", now)
        allocation_runs.run_allocation(session, round_.id, "icd", "manual", now)
        round_id = round_.id
    with Session(engine) as session, session.begin():
        offer = offers.offers_of(session, round_id)[0]
        offer_changes.answer(session, offer.id, "alice", offer.version, True, now)
    with Session(engine) as session, session.begin():
        nomination = nominations.nominate(session, round_id, student, "icd", now, 30)
        token = partner_links.sign(keyring, nomination.id, nomination.link_nonce or "")
    try:
        assert _race(engine, token, keyring) == ["ok", "used"]
        with engine.connect() as c:
            types = [t for (t,) in c.execute(select(tables.outbox.c.type)
                                             .where(tables.outbox.c.type.in_(("nomination.approved",
                                                                              "nomination.rejected"))))]
        assert len(types) == 1
    finally:
        engine.dispose()
