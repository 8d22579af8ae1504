"""The pages each demo role can reach, on a system seeded with one application of each kind at a known place
in its chain (every reviewer has an open task, the student a draft and a submitted application) and a selection
round of issue 20 carried to every page it has (scored, allocated, alice's offer accepted and nominated, the
差额公示 published with an objection decided; alice's approved stay given its host). Shared by the browser sweep
(tests/browser/test_every_page.py) and the scan for internal codes (tests/integration/test_no_codes.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from mobility.embedded import Embedded
from tests.e2e.test_review_chains import _decide, _task  # the chains' walk, one copy
from tests.support import selection, wait
from tests.support.api import Gateway, example

ROLES = ("alice", "prof.li", "coord.cs", "dean.cs", "icd.officer", "vp.fa", "admin", "passport.clerk")
REVIEWERS = ("coord.cs", "dean.cs", "icd.officer", "vp.fa", "admin")


@dataclass(frozen=True)
class Seeded:
    draft: str  # alice's student exchange, not submitted
    submitted: dict[str, str]  # kind → application id
    tasks: dict[str, str]  # reviewer → the id of an open task of theirs
    trip: str  # the mobility record of alice's approved student exchange
    passport: str  # prof.li's official passport in the office's custody (school cs)
    agreement: str = "agreement"  # a signed agreement with a row of terms, entered by the ICD
    round: str = "round"  # a selection round, scored, allocated once, its 差额公示 published
    program: str = "program"  # that round's program (its places table)
    nomination: str = "nomination"  # alice's nomination in that round (she accepted her offer)
    objection: str = "objection"  # a dismissed objection to that round's list


# Student exchange at the ICD, faculty exchange at the coordinator, foreign expert at the vice president, hosted
# event at the dean (the default chains: tests/e2e/test_review_chains.py).
WALKS = {  # kind: (applicant, reviewers who approve, the reviewer left holding the task)
    "student_exchange": ("alice", ["coord.cs", "dean.cs"], "icd.officer"),
    "faculty_exchange": ("prof.li", [], "coord.cs"),
    "foreign_expert": ("prof.li", ["dean.cs", "icd.officer"], "vp.fa"),
    "hosted_event": ("coord.cs", [], "dean.cs"),
}


def seed_shape() -> Seeded:
    """What seed() makes, with names for ids: enough to list each role's pages before anything runs."""
    return Seeded("draft", {kind: kind for kind in WALKS}, {holder: holder for _, _, holder in WALKS.values()},
                  "trip", "passport")


def seed(system: Embedded, gw: Gateway) -> Seeded:
    """One application of each kind, walked to its place in WALKS, a draft of alice's, and a selection round
    (tests/support/selection.py, which needs the embedded system to deliver the program and candidates)."""
    submitted, tasks = {}, {}
    for kind, (applicant, approvers, holder) in WALKS.items():
        application_id = gw.apply_and_submit(applicant, kind)["id"]
        submitted[kind] = application_id
        for level, reviewer in enumerate(approvers, start=1):
            _decide(gw, reviewer, _task(gw, reviewer, application_id, level))
        tasks[holder] = _task(gw, holder, application_id, len(approvers) + 1)["id"]
    approved = gw.apply_and_submit("alice", "student_exchange")["id"]
    for level, reviewer in enumerate(("coord.cs", "dean.cs", "icd.officer"), start=1):
        _decide(gw, reviewer, _task(gw, reviewer, approved, level))

    def record() -> list[dict[str, str]]:
        return gw.call("alice", "GET", f"/api/v1/mobilities?application_id={approved}").json()["items"]

    trip = wait.until(record, what="the approved stay's record")[0]["id"]
    _host(system, approved)
    passport = gw.call("passport.clerk", "POST", "/api/v1/passports", json={
        "holder_name": "Li Wei", "staff_number": "T20081", "holder_username": "prof.li", "school": "cs",
        "type": "official_passport", "number": "EP0012345", "expires_on": "2034-06-30", "kept_at": "Safe 1, drawer 1"})
    assert passport.status_code == 201, passport.text
    agreement = gw.call("icd.officer", "POST", "/api/v1/agreements", json={
        "partner_name": "TU Munich", "partner_country": "DE", "type": "student_exchange", "status": "signed",
        "signed_on": "2024-03-01", "valid_from": "2024-09-01", "valid_to": "2034-08-31",
        "contacts": [{"name": "Anna Schmidt", "email": "anna@partner.example", "role": "signer"}],
        "terms": [{"direction": "outgoing", "mobility_type": "student_studies", "places_per_year": 3,
                   "total_months": 15, "subject_codes": ["0613"], "degree_levels": ["bachelor"],
                   "languages": [{"language": "de", "cefr": "B2"}]}]})
    assert agreement.status_code == 201, agreement.text
    round_, nomination, objection = _selection(system)
    return Seeded(gw.apply("alice")["id"], submitted, tasks, trip, passport.json()["id"], agreement.json()["id"],
                  round_.round_id or "", round_.program_id, nomination, objection)


def _host(system: Embedded, application_id: str) -> None:
    """The approved stay's record learns its host, as the mobilities consumer applies placements' nomination.approved
    (a real nomination needs a round over that application's program; the selection round below is another's)."""
    from services.mobilities import handlers

    partner = selection.PARTNERS[0]
    event = envelope.new_event("nomination.approved", "/services/placements", application_id, {
        "nomination_id": str(uuid.uuid4()), "round_id": str(uuid.uuid4()), "application_id": application_id,
        "partner_id": partner["partner_id"], "partner_name": partner["name"], "partner_country": partner["country"],
        "status": "approved", "version": 2}, aggregateversion=2)
    with make_sessionmaker(system.engines["mobilities"])() as session, session.begin():
        apply(handlers.HANDLERS, session, event)


def _selection(system: Embedded) -> tuple[selection.Selection, str, str]:
    """A round with a score in its grid, one allocation run, alice's accepted offer nominated, the list published
    and an objection to it dismissed: every selection page then has something to show."""
    chosen = selection.seed(system)
    path = f"/api/v1/selection-rounds/{chosen.round_id}"

    def ok(reply: Any, status: int = 200) -> Any:
        assert reply.status_code == status, reply.get_json()
        return reply.get_json()

    ok(selection.api(system, "coord.cs", "PUT", f"{path}/scores", json=[
        {"application_id": chosen.candidates["alice"], "criterion": "interview", "value": "90"}]))
    ok(selection.api(system, "icd.officer", "POST", f"{path}/allocations", json={"reason": "manual"}), 201)
    offer = ok(selection.api(system, "alice", "GET", "/api/v1/offers?mine=1"))["items"][0]
    ok(selection.api(system, "alice", "POST", f"/api/v1/offers/{offer['id']}/accept",
                          json={"version": offer["version"]}))
    nomination = ok(selection.api(system, "icd.officer", "POST", "/api/v1/nominations", json={
        "round_id": chosen.round_id, "application_id": chosen.candidates["alice"]}), 201)["id"]
    ok(selection.api(system, "icd.officer", "POST", f"{path}/publicity"), 201)
    objection = ok(selection.api(system, "prof.li", "POST", f"{path}/publicity/objections",
                                 json={"text": "The interviews were not announced."}), 201)["id"]
    ok(selection.api(system, "icd.officer", "POST", f"{path}/publicity/objections/{objection}/decision",
                     json={"outcome": "dismiss"}))
    return chosen, nomination, objection


def pages(role: str, seeded: Seeded) -> dict[str, str]:
    """Page name → path, for the pages `role` reaches from its menus."""
    own = {"alice": "student_exchange", "prof.li": "foreign_expert", "coord.cs": "hosted_event"}
    common = {"home": "/", "inbox": "/inbox", "my-trips": "/mobilities"}
    if role in own:
        kind = own[role]
        program = example(kind).get("program_id")  # a student exchange is applied for under a program
        common |= {"programs": "/programs", "apply": f"/apply/{kind}" + (f"?program_id={program}" if program else ""),
                   "my-applications": "/applications",
                   "application": f"/applications/{seeded.submitted[kind]}"}
    if role == "alice":
        common |= {"edit": f"/applications/{seeded.draft}/edit", "draft": f"/applications/{seeded.draft}"}
    if role in ("alice", "coord.cs", "icd.officer"):  # the traveller, the school's reviewer, the office
        common |= {"trip": f"/mobilities/{seeded.trip}"}  # with its host, from an approved nomination
    if role != "alice":  # staff: the running publicity notices (公示)
        common |= {"publicity": "/publicity"}
    if role != "alice":  # the register: its readers, and prof.li's own passport under "My passports"
        common |= {"passports": "/passports", "passport": f"/passports/{seeded.passport}"}
    if role in ("passport.clerk", "admin"):
        common |= {"passport-audit": "/passports/audit", "passport-settings": "/passports/settings"}
    if role == "passport.clerk":
        common |= {"passport-new": "/passports/new", "passport-import": "/passports/import",
                   "passport-edit": f"/passports/{seeded.passport}/edit"}
    if role in ("coord.cs", "dean.cs", "icd.officer", "vp.fa", "admin"):  # staff read agreements and places
        common |= {"agreements": "/agreements", "agreement": f"/agreements/{seeded.agreement}",
                   "places": f"/places?program_id={seeded.program}"}  # the round's program: its places are set
    if role in ("icd.officer", "admin"):
        common |= {"agreement-new": "/agreements/new", "agreement-edit": f"/agreements/{seeded.agreement}/edit"}
    if role in ("coord.cs", "dean.cs", "icd.officer", "vp.fa", "admin"):  # staff read the selection rounds
        common |= {"selection": "/selection"}
    # One round's pages, each reached once by a role that has it (the sweep's time is Chromium's): the school's
    # scorer and the office see the round and its grid; the office runs, reads runs, records answers and decides.
    round_path = f"/selection/rounds/{seeded.round}"
    if role in ("coord.cs", "icd.officer"):
        common |= {"round": round_path, "scores": f"{round_path}/scores"}
    if role == "icd.officer":
        common |= {"allocate": f"{round_path}/allocate", "runs": f"{round_path}/runs",
                   "answer": f"/selection/nominations/{seeded.nomination}/answer",
                   "objection": f"{round_path}/publicity/objections/{seeded.objection}"}
    if role in ("alice", "icd.officer"):  # the 差额公示: the student's view with the objection form, the office's
        common |= {"list-publicity": f"{round_path}/publicity"}
    if role in ("alice", "icd.officer"):  # the candidate lists a reader finds: a student's by her offer, the office's
        common |= {"lists": "/selection/lists"}
    if role == "alice":  # a student's offers of places (hers accepted), and the page after an objection
        common |= {"offers": "/offers", "objected": f"{round_path}/publicity/objected"}
    if role in REVIEWERS:
        common |= {"queue": "/queue", "all-applications": "/all-applications", "trip-reports": "/mobilities/reports",
                   "overdue": "/mobilities/overdue"}
    if role in seeded.tasks:
        common |= {"task": f"/tasks/{seeded.tasks[role]}"}
    if role in ("dean.cs", "icd.officer", "admin"):
        common |= {"stats": "/stats"}
    if role in ("icd.officer", "admin"):
        common |= {"admin": "/admin", "admin-programs": "/admin/programs", "admin-trip-plans": "/admin/trip-plans",
                   "admin-after-approval": "/admin/after-approval"}
    if role == "admin":
        common |= {f"admin-{name}": f"/admin/{name}" for name in ("chains", "users", "clients", "subscriptions", "dlq",
                                                                   "mail", "trip-rules", "allowances", "calendar")}
        common |= {"admin-chain-editor": "/admin/chains/student_exchange"}
        common |= {"api-docs": "/docs/api"}
    return common
