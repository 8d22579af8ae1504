"""A lived-in demo: last academic year's applications, filed and decided through the running system.

`mobility run` and `mobility seed-demo` (unless `--empty`) call `record`, which drives the gateway's public API
as the demo people would have: an admin opens a spring exchange program, applicants create their
applications, upload the required documents and submit, and each reviewer in the chain decides; some are
returned and resubmitted, some rejected. Every step goes through the services' domain rules and events, so
the statistics, work lists, trackers, notices and mail show a year that happened.

The one liberty taken: the process's clock is set back to January of that year while the story is played
(time-machine, ticking on from there), because the forms rightly refuse periods that have already begun. The
events, timeline and notices therefore carry the dates they would have had. When the clock returns, every
event has been handled and nothing is left waiting.

Idempotent: the program it opens is its mark; once it exists, nothing is recorded again.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import structlog
import time_machine
from flask import Flask
from werkzeug.test import TestResponse

from mobility import demo_after, demo_passports, demo_placements
from services.applications import kinds
from services.applications.demo import demo_id
from services.applications.facts import academic_year

log = structlog.get_logger(__name__)
# The smallest file the document check accepts as a PDF: the demo's scans.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
REVIEWERS = {"cs": ("coord.cs", "dean.cs"), "me": ("coord.me", "dean.me"), None: ()}
UNIVERSITY_REVIEWERS = ("icd.officer", "vp.fa")
FINAL = ("approved", "rejected")


@dataclass(frozen=True)
class Story:
    """One application of the year: who files it, the form, and each level's decision in turn ("return"
    sends it back; the applicant resubmits it unchanged and the same level decides again)."""

    applicant: str
    school: str | None
    kind: str
    form: dict[str, Any]
    decisions: tuple[tuple[str, str], ...]  # (outcome, comment) per decision, in order
    program: bool = False  # filed under the year's spring exchange program


def stories(year: int) -> list[Story]:
    """Academic year `year` (1 September `year` to 31 August `year + 1`): trips in its spring and summer."""
    y = year + 1
    ok = ("approve", "Agreed.")

    def student(who: str, school: str, choices: list[str], gpa: str, certificate: tuple[str, str], motivation: str,
                decisions: tuple[tuple[str, str], ...]) -> Story:
        """A student's exchange in the spring term, under the year's program."""
        return Story(who, school, "student_exchange", {
            "partner_choices": [demo_id("partner", code) for code in choices], "term": f"{y}-spring", "gpa": gpa,
            "language_certificate": {"type": certificate[0], "score": certificate[1]}, "motivation": motivation},
            decisions, program=True)

    return [
        student("alice", "cs", ["tu-berlin", "polimi"], "3.71", ("IELTS", "7.0"),
                "Robotics and embedded systems courses at TU Berlin, and a semester in its lab.", (ok, ok, ok)),
        student("bob", "cs", ["nus"], "3.45", ("TOEFL", "98"),
                "NUS's data science track, which our school does not offer.",
                (("return", "Please name the courses you will take at NUS in your motivation."), ok, ok, ok)),
        student("chen", "me", ["kmutt", "polimi"], "3.58", ("IELTS", "6.5"),
                "Manufacturing systems at KMUTT and a project with a Thai industrial partner.", (ok, ok, ok)),
        student("chen", "me", ["uw"], "3.58", ("IELTS", "6.5"), "A second choice, filed in case KMUTT had no seat.",
                (ok, ("reject", "One exchange per student per term; KMUTT was approved."))),
        Story("prof.li", "cs", "faculty_exchange", group_trip(y), (
            ok, ("return", "Attach the invitation's date to the budget line."), ok, ok)),
        Story("prof.li", "cs", "foreign_expert", {
            "expert_name": "Dr. Maria Rossi", "nationality": "IT", "institution": "Politecnico di Milano",
            "field": "Computer vision", "start_date": f"{y}-03-02", "end_date": f"{y}-05-29",
            "activities": "Teach a graduate course on 3D vision and co-supervise two PhD students.",
            "budget": "98000.00"},
            (ok, ok, ok)),
        Story("prof.li", "cs", "foreign_expert", {
            "expert_name": "Prof. Daniel Weber", "nationality": "DE", "institution": "TU Berlin",
            "field": "Embedded systems", "start_date": f"{y}-06-01", "end_date": f"{y}-06-30",
            "activities": "A summer school on real-time systems.", "budget": "260000.00"},
            (ok, ("reject", "No budget left for a second expert this year."))),
        Story("coord.cs", "cs", "hosted_event", {
            "title": "Sino-German Workshop on Intelligent Manufacturing", "start_date": f"{y}-05-12",
            "end_date": f"{y}-05-14", "delegation_size": 12, "countries": ["DE", "AT"],
            "agenda": "Day 1: keynotes; day 2: lab visits; day 3: joint project planning.", "budget": "85000.00"},
            (ok, ok)),
        Story("coord.me", "me", "hosted_event", {
            "title": "ASEAN Manufacturing Delegation", "start_date": f"{y}-03-23", "end_date": f"{y}-03-25",
            "delegation_size": 8, "countries": ["SG", "TH"],
            "agenda": "Day 1: campus and labs; day 2: industry visits; day 3: agreements.", "budget": "42000.00"},
            (("return", "Add the second day's visit hosts to the agenda."), ok, ok)),
    ]


def group_trip(y: int) -> dict[str, Any]:
    """A general staff trip of three to Germany and France, eight days, within the allowances."""
    def member(name: str, number: str, post: str, title: str, leader: bool) -> dict[str, Any]:
        return {"name": name, "staff_number": number, "school": "School of Computer Science", "post": post,
                "title": title, "leader": "yes" if leader else "no", "abroad_status": "none", "declared": True,
                "passport_type": "official_passport"}

    return {
        "category": "general", "purpose": "joint_research",
        "tasks": "Plan the joint robotics laboratory with TU Munich and present it at ENS Paris's partner day.",
        "start_date": f"{y}-04-06", "end_date": f"{y}-04-13",
        "members": [member("李伟", "T20081", "Deputy dean", "Professor", True),
                    member("王芳", "T20112", "Lecturer", "Associate professor", False),
                    member("陈晨", "T20307", "Researcher", "Lecturer", False)],
        "itinerary": [{"country": "DE", "city": "Munich", "institution": "Technical University of Munich",
                       "arrival": f"{y}-04-07", "departure": f"{y}-04-10"},
                      {"country": "FR", "city": "Paris", "institution": "École normale supérieure",
                       "arrival": f"{y}-04-10", "departure": f"{y}-04-12"}],
        "inviter_institution": "Technical University of Munich",
        "inviter_description": "Prof. Anna Schmidt, chair of robotics, our partner since 2019.",
        "funding_source": "China Scholarship Council",
        "budget_lines": {"international_travel": "8000.00", "lodging": "4500.00", "meals_incidentals": "2800.00",
                         "other": "500.00"},
    }


# The official calendar of the years the demo's trips fall in, which chinesecalendar does not know yet: DEMO data
# (plausible holidays and make-up working days), marked so; the office enters the State Council's real ones.
DEMO_CALENDARS: dict[int, list[tuple[str, bool, str]]] = {
    2027: [("2027-01-01", False, "元旦"), *((f"2027-02-{d:02d}", False, "春节") for d in range(5, 12)),
           ("2027-02-14", True, "调休"), ("2027-04-05", False, "清明节"), *((f"2027-05-{d:02d}", False, "劳动节")
                                                                          for d in range(3, 6)),
           ("2027-06-09", False, "端午节"), ("2027-09-15", False, "中秋节"),
           *((f"2027-10-{d:02d}", False, "国庆节") for d in range(1, 8)), ("2027-09-26", True, "调休"),
           ("2027-10-09", True, "调休")],
    2028: [("2028-01-01", False, "元旦"), *((f"2028-01-{d:02d}", False, "春节") for d in range(26, 32)),
           ("2028-02-01", False, "春节"), ("2028-01-23", True, "调休"), ("2028-04-04", False, "清明节"),
           *((f"2028-05-{d:02d}", False, "劳动节") for d in range(1, 6)), ("2028-05-28", False, "端午节"),
           *((f"2028-10-{d:02d}", False, "国庆节、中秋节") for d in range(1, 8)),
           ("2028-09-30", True, "调休"), ("2028-10-08", True, "调休")],
}


def prepare_this_year(api: _Api) -> None:
    """What an office does before this year's trips: the calendar of the years ahead that neither the package
    nor the office knows yet (demo data, marked), and the staff trip's chain with its publicity (公示, five
    working days after the school's approval), the office's level re-approving changes, and the vice president's
    level for exceptions to the rules and trips beyond the school's plan."""
    for year, days in DEMO_CALENDARS.items():
        known = _expect(api.call("admin", "GET", f"/api/v1/calendar/{year}"), 200, f"the calendar of {year}")
        if known["source"] == "unknown":
            _expect(api.call("admin", "PUT", f"/api/v1/calendar/{year}", json={"demo": True, "days": [
                {"date": day, "workday": workday, "name": name} for day, workday, name in days]}), 200,
                f"enter the demo calendar of {year}")
    chain = [dict(level) for level in kinds.get("faculty_exchange").default_chain]
    publicity = {"type": "publicity", "role": "icd_officer", "scope": "university", "days": 5, "working_days": 5}
    chain.insert(2, publicity)
    chain[3]["changes"] = True
    # The vice president also sees a trip that asks for an exception to the rules or goes beyond the plan.
    chain[4]["condition"] = {"any": [*chain[4]["condition"]["any"], {"rule_exception": True}, {"outside_plan": True}]}
    put = api.call("admin", "PUT", "/api/v1/review-chains/faculty_exchange", json={"levels": chain})
    if put.status_code not in (200, 201):
        raise RuntimeError(f"demo history: the staff trip's chain: {put.status_code} {put.get_data(as_text=True)}")


def past_year(today: date) -> int:
    """The academic year before the current one."""
    return academic_year(today) - 1


def program_code(year: int) -> str:
    return f"spring-exchange-{year + 1}"


class _Api:
    """The gateway's public API, called in-process, as each demo person with their own token."""

    def __init__(self, gateway: Flask) -> None:
        self.client = gateway.test_client()
        self.tokens: dict[str, str] = {}

    def call(self, user: str, method: str, path: str, **kw: Any) -> TestResponse:
        if user not in self.tokens:
            got = self.client.post("/api/v1/auth/token", json={"username": user, "password": "demo"})
            _expect(got, 200, f"sign in as {user}")
            self.tokens[user] = got.get_json()["access_token"]
        return self.client.open(path, method=method, headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kw)


def _expect(response: TestResponse, status: int, what: str) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"demo history: {what}: {response.status_code} {response.get_data(as_text=True)[:500]}")
    return response.get_json()


def _until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise RuntimeError(f"demo history: gave up waiting for {what}")


def already_recorded(gateway: Flask, today: date) -> bool:
    programs = _expect(_Api(gateway).call("admin", "GET", "/api/v1/programs"), 200, "list programs")
    return any(p["code"] == program_code(past_year(today)) for p in programs)


def record(gateway: Flask, zone: str, today: date | None = None) -> int:
    """Plays last academic year's stories through `gateway` (an app of a running system); returns how many
    applications it filed (0 when they exist already)."""
    today = today or datetime.now(ZoneInfo(zone)).date()
    if already_recorded(gateway, today):
        return 0
    year = past_year(today)
    then = datetime.combine(date(year + 1, 1, 12), clock_time(9, 0), ZoneInfo(zone)).astimezone(UTC)
    started = time.monotonic()
    with _quietly(), time_machine.travel(then, tick=True):
        api = _Api(gateway)
        program = _open_program(api, year, then)
        filed = [_play(api, story, program) for story in stories(year)]
        for application_id, applicant in filed:
            _until(lambda a=application_id, u=applicant: _status(api, u, a) in FINAL, f"application {application_id}")
        _settled(api, year, len(filed))
    _after_approval(_Api(gateway), filed, today)  # today: what followed each approval, as far as it is past
    demo_passports.seed(_Api(gateway), today)  # the group's passports in the office's custody
    demo_placements.seed(gateway, today, zone)  # this year's agreements, places and student selection
    prepare_this_year(_Api(gateway))  # today, after the past year was played under last year's chain
    log.info("demo.history_recorded", academic_year=year, applications=len(filed),
             seconds=round(time.monotonic() - started, 1))
    return len(filed)


def _after_approval(api: _Api, filed: list[tuple[str, str]], today: date) -> None:
    for application_id, applicant in filed:
        if _status(api, applicant, application_id) != "approved":
            continue
        school = _expect(api.call(applicant, "GET", f"/api/v1/applications/{application_id}"), 200, "read")["school"]
        listed = f"/api/v1/mobilities?application_id={application_id}"
        _until(lambda url=listed: _expect(api.call("icd.officer", "GET", url), 200, "records")["items"],
               f"the records of {application_id}")
        demo_after.follow(api, application_id, today, REVIEWERS[school])


@contextmanager
def _quietly() -> Iterator[None]:
    """Warnings and errors only while the story plays: its few hundred requests and events would bury the
    lines a newcomer should read (where to open the pages)."""
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(wrapper_class=wrapper)


def _open_program(api: _Api, year: int, then: datetime) -> str:
    body = {"code": program_code(year), "name": f"Spring Exchange {year + 1}", "kind": "student_exchange",
            "seats": 10, "opens_at": (then - timedelta(days=30)).isoformat(),
            "closes_at": (then + timedelta(days=20)).isoformat(),
            "partner_ids": [demo_id("partner", c) for c in ("tu-berlin", "polimi", "nus", "kmutt", "uw")]}
    return str(_expect(api.call("admin", "POST", "/api/v1/programs", json=body), 201, "open the program")["id"])


def _status(api: _Api, user: str, application_id: str) -> str:
    return str(_expect(api.call(user, "GET", f"/api/v1/applications/{application_id}"), 200, "read")["status"])


def _play(api: _Api, story: Story, program: str) -> tuple[str, str]:
    who = story.applicant
    body = {"kind": story.kind, "program_id": program if story.program else None, "form": story.form}
    application = _expect(api.call(who, "POST", "/api/v1/applications", json=body), 201, f"{who} files")
    app_id = application["id"]
    for doc_type in kinds.get(story.kind).required_documents:
        _expect(api.call(who, "POST", f"/api/v1/applications/{app_id}/documents",
                         data={"doc_type": doc_type, "file": (io.BytesIO(PDF), f"{doc_type}.pdf", "application/pdf")}),
                201, f"{who} uploads {doc_type}")
    _submit(api, who, app_id)
    candidates = (*REVIEWERS[story.school], *UNIVERSITY_REVIEWERS)
    for outcome, comment in story.decisions:
        found = _until(lambda: _open_task(api, candidates, app_id) or _status(api, who, app_id) in FINAL,
                       f"a task on {app_id}")
        if found is True:  # the chain ended sooner than the story (a level's condition did not apply)
            break
        reviewer, task = found
        _expect(api.call(reviewer, "POST", f"/api/v1/review-tasks/{task['id']}/decision", json={
            "outcome": outcome, "comment": comment, "application_version": task["application_version"]}),
            201, f"{reviewer} decides")
        if outcome == "return":
            _until(lambda: _status(api, who, app_id) == "changes_requested", f"{app_id} returned")
            _submit(api, who, app_id)
    return app_id, who


def _submit(api: _Api, who: str, app_id: str) -> None:
    version = _expect(api.call(who, "GET", f"/api/v1/applications/{app_id}"), 200, "read")["version"]
    _expect(api.call(who, "POST", f"/api/v1/applications/{app_id}/submit", json={"version": version}), 200,
            f"{who} submits")


def _open_task(api: _Api, candidates: tuple[str, ...], app_id: str) -> tuple[str, dict[str, Any]] | None:
    for reviewer in candidates:
        tasks = _expect(api.call(reviewer, "GET", f"/api/v1/review-tasks?application_id={app_id}"), 200, "queue")
        for task in tasks:
            if task["status"] in ("open", "claimed"):
                return reviewer, task
    return None


def _settled(api: _Api, year: int, filed: int) -> None:
    """Every application counted by the statistics read model, which the events feed last."""
    def counted() -> bool:
        summary = _expect(api.call("icd.officer", "GET", f"/api/v1/stats/summary?academic_year={year}"), 200,
                          "statistics")
        return int(summary["indicators"].get("submitted", 0)) >= filed

    _until(counted, "the statistics to count the year")
