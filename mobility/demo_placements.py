"""The demo's student selection (issue 20), played through the APIs as the demo people: the ICD's agreements with
the demo partners (signed, with outgoing student places a year; NUS's ending within the reminder window; a MoU with
Satbayev University that gives no places), a fall exchange program whose window closed last week with seven
students' approved applications, its places counted from the agreements, the selection round opened, interview
scores entered by the schools' coordinators, the allocation run, the 差额公示 of the candidate list with an
objection left for the ICD to decide, `alice`'s offer accepted and her nomination to TU Berlin made; `bob` keeps
an open offer to answer. Called by demo_history.record after the past year.

The applications are filed with the process's clock set back to three days before the window closed (as
demo_history plays its year), since the window rightly refuses late ones. Idempotent: the program is its mark;
an agreement of a partner already in the register is not entered again."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from flask import Flask

from mobility import demo_history
from mobility.demo_after import _ok
from services.applications import kinds
from services.applications.demo import demo_id
from services.applications.facts import academic_year

ICD = "icd.officer"
LANGUAGE = [{"language": "en", "cefr": "B2"}]
# partner code: (name, country, type, outgoing student places a year, years left; None: ends within the reminder
# window, so the ICD's reminder and the register's "expiring" filter have something to show)
AGREEMENTS: dict[str, tuple[str, str, str, int, int | None]] = {
    "tu-berlin": ("Technische Universität Berlin", "DE", "student_exchange", 2, 3),
    "polimi": ("Politecnico di Milano", "IT", "student_exchange", 1, 4),
    "nus": ("National University of Singapore", "SG", "student_exchange", 1, None),
    "kmutt": ("King Mongkut's University of Technology Thonburi", "TH", "student_exchange", 1, 2),
    "kazntu": ("Satbayev University", "KZ", "mou", 0, 5),  # a memorandum: no places
}
PARTNERS = ("tu-berlin", "polimi", "nus", "kmutt")
# applicant, school, choices, GPA, certificate, interview: seven students for five places (差额: two wait).
STUDENTS: list[tuple[str, str, list[str], str, tuple[str, str], str]] = [
    ("alice", "cs", ["tu-berlin", "polimi"], "3.82", ("IELTS", "7.5"), "92"),
    ("bob", "cs", ["nus", "tu-berlin"], "3.45", ("TOEFL", "98"), "80"),
    ("chen", "me", ["kmutt", "polimi"], "3.58", ("IELTS", "6.5"), "85"),
    ("diana", "cs", ["tu-berlin", "nus"], "3.66", ("IELTS", "7.0"), "88"),
    ("feng", "cs", ["polimi", "tu-berlin"], "3.30", ("CET-6", "560"), "75"),
    ("gu", "me", ["tu-berlin", "kmutt"], "3.40", ("TOEFL", "90"), "70"),
    ("hana", "me", ["nus", "polimi"], "3.50", ("IELTS", "6.0"), "78"),
]
COORDINATORS = {"cs": "coord.cs", "me": "coord.me"}
ACCEPTS = "alice"  # a known demo login: her offer accepted, then nominated
OBJECTOR = "feng"  # waiting for a place: asks the office to check his own row of the list
OBJECTION = "My GPA on the list is 3.30; the transcript the registrar issued last week says 3.36. Please check it."


def program_code(today: date) -> str:
    return f"fall-exchange-{academic_year(today) + 1}"


def seed(gateway: Flask, today: date, zone: str) -> int:
    """Play the selection once through `gateway`; returns how many applications it filed (0 when the program
    exists already)."""
    with demo_history._quietly():  # its requests' log lines would bury the lines a newcomer should read
        return _select(gateway, today, zone)


def _select(gateway: Flask, today: date, zone: str) -> int:
    api = demo_history._Api(gateway)
    agreements(api, today)
    code = program_code(today)
    if any(p["code"] == code for p in _ok(api.call("admin", "GET", "/api/v1/programs"), "list programs")):
        return 0
    closes = datetime.combine(today - timedelta(days=7), clock_time(17, 0), ZoneInfo(zone)).astimezone(UTC)
    program = _ok(api.call("admin", "POST", "/api/v1/programs", json={
        "code": code, "name": f"Fall Exchange {academic_year(today) + 1}", "kind": "student_exchange", "seats": 5,
        "opens_at": (closes - timedelta(days=40)).isoformat(), "closes_at": closes.isoformat(),
        "partner_ids": [demo_id("partner", c) for c in PARTNERS]}), "open the fall program")["id"]
    filed = _file(gateway, program, closes - timedelta(days=3), f"{academic_year(today) + 1}-fall")
    api = demo_history._Api(gateway)  # tokens of today again: those signed in the past may have expired
    demo_history._until(lambda: _ok(api.call(ICD, "GET", f"/api/v1/places?program_id={program}"), "places"),
                        "placements to hear of the fall program")
    _ok(api.call(ICD, "POST", f"/api/v1/places/{program}/from-agreements"), "count places from the agreements")
    round_ = _ok(api.call(ICD, "POST", "/api/v1/selection-rounds", json={"program_id": program}), "open the round")
    path = f"/api/v1/selection-rounds/{round_['id']}"
    demo_history._until(lambda: len(_ok(api.call(ICD, "GET", path), "the round")["ranking"]) == len(filed),
                        "every approved candidate in the round")
    for school, coordinator in COORDINATORS.items():  # each school scores its own students' interviews
        _ok(api.call(coordinator, "PUT", f"{path}/scores", json=[
            {"application_id": filed[who], "criterion": "interview", "value": interview}
            for who, s, *_, interview in STUDENTS if s == school]), f"{coordinator} scores the interviews")
    _ok(api.call(ICD, "POST", f"{path}/allocations", json={}), "run the allocation")
    # The 差额公示: the list of all seven published, and an objection left for the ICD to decide (the period
    # pauses meanwhile), so the list's page, the objection form and the decision page all have something to show.
    _ok(api.call(ICD, "POST", f"{path}/publicity"), "publish the candidate list")
    _ok(api.call(OBJECTOR, "POST", f"{path}/publicity/objections", json={
        "application_id": filed[OBJECTOR], "text": OBJECTION}), "object to the list")
    offer = next(o for o in _ok(api.call(ACCEPTS, "GET", "/api/v1/offers?mine=true"), "offers")["items"]
                 if o["round_id"] == round_["id"] and o["status"] == "offered")
    _ok(api.call(ACCEPTS, "POST", f"/api/v1/offers/{offer['id']}/accept", json={"version": offer["version"]}),
        f"{ACCEPTS} accepts")
    _ok(api.call(ICD, "POST", "/api/v1/nominations", json={"round_id": round_["id"],
                                                          "application_id": filed[ACCEPTS]}), "nominate")
    return len(filed)


def agreements(api: demo_history._Api, today: date) -> int:
    """The ICD's agreements with the demo partners that are not in the register yet; returns how many entered."""
    entered = 0
    for code, (name, country, kind, places, years) in AGREEMENTS.items():
        partner = demo_id("partner", code)
        if _ok(api.call(ICD, "GET", f"/api/v1/agreements?partner={partner}"), "agreements")["items"]:
            continue
        ends = today + timedelta(days=45) if years is None else date(today.year + years, 8, 31)
        terms = [] if kind == "mou" else [
            {"direction": "outgoing", "mobility_type": "student_studies", "places_per_year": places,
             "total_months": places * 5, "subject_codes": ["0613", "0715"], "degree_levels": ["bachelor", "master"],
             "languages": LANGUAGE},
            {"direction": "incoming", "mobility_type": "student_studies", "places_per_year": places,
             "total_months": places * 5, "degree_levels": ["bachelor", "master"], "languages": LANGUAGE}]
        _ok(api.call(ICD, "POST", "/api/v1/agreements", json={
            "partner_id": partner, "partner_name": name, "partner_country": country, "type": kind,
            "status": "signed", "signed_on": str(date(today.year - 2, 5, 20)),
            "valid_from": str(date(today.year - 2, 9, 1)), "valid_to": str(ends), "terms": terms, "contacts": [
                {"name": f"Exchange Office, {name}", "email": f"exchange@{code}.demo.mobility.local",
                 "role": "incoming students"}]}), f"enter the agreement with {name}")
        entered += 1
    return entered


def _file(gateway: Flask, program: str, when: datetime, term: str) -> dict[str, str]:
    """Each student's application filed and submitted, then approved level by level through the chain, with the
    clock set to `when` (the window still open); returns the application ids by applicant. The applications go
    through the chain side by side, so their events' round trips overlap (the demo starts sooner)."""
    filed: dict[str, str] = {}
    with time_machine.travel(when, tick=True):
        api = demo_history._Api(gateway)  # tokens signed at that time: today's would not be valid yet
        for who, _school, choices, gpa, certificate, _ in STUDENTS:
            filed[who] = _submitted(api, who, program, {
                "partner_choices": [demo_id("partner", c) for c in choices], "term": term, "gpa": gpa,
                "language_certificate": {"type": certificate[0], "score": certificate[1]},
                "motivation": f"A semester at {AGREEMENTS[choices[0]][0]} for courses our school does not offer."})
        schools = {who: school for who, school, *_ in STUDENTS}
        pending = dict(filed)

        def decide_open_tasks() -> bool:
            for who, app_id in list(pending.items()):
                reviewers = (*demo_history.REVIEWERS[schools[who]], *demo_history.UNIVERSITY_REVIEWERS)
                found = demo_history._open_task(api, reviewers, app_id)
                if found is not None:
                    reviewer, task = found
                    _ok(api.call(reviewer, "POST", f"/api/v1/review-tasks/{task['id']}/decision", json={
                        "outcome": "approve", "comment": "Agreed.",
                        "application_version": task["application_version"]}), f"{reviewer} approves")
                elif demo_history._status(api, who, app_id) == "approved":
                    del pending[who]
            return not pending

        demo_history._until(decide_open_tasks, "the students' applications approved", timeout=120)
    return filed


def _submitted(api: demo_history._Api, who: str, program: str, form: dict[str, Any]) -> str:
    """A student's application under `program`, with its required documents, submitted; returns its id."""
    app_id = str(_ok(api.call(who, "POST", "/api/v1/applications", json={
        "kind": "student_exchange", "program_id": program, "form": form}), f"{who} files")["id"])
    for doc_type in kinds.get("student_exchange").required_documents:
        _ok(api.call(who, "POST", f"/api/v1/applications/{app_id}/documents", data={
            "doc_type": doc_type, "file": (io.BytesIO(demo_history.PDF), f"{doc_type}.pdf", "application/pdf")}),
            f"{who} uploads {doc_type}")
    demo_history._submit(api, who, app_id)
    return app_id
