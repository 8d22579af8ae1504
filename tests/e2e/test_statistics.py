"""The ICD's statistics over the whole system, in both topologies: six applications of every kind are taken
through their review chains by the demo reviewers, and every indicator is checked against values counted
by hand (below, next to each application), before and after a withdrawal. The dean sees their school only.

    A alice (cs)   student exchange, TU Berlin (DE, europe), 2031-fall: 153 days, AY 2031    approved 1-2-3
    B chen (me)    student exchange, NUS (SG, asean), 2032-spring: 182 days, AY 2031        approved 1-2-3
    C prof.li (cs) faculty trip, Politecnico di Milano (IT, europe), 28 days, AY 2030     1, 2 returns, 2, 3
    D prof.li (cs) foreign expert from IT (europe), 111 days, AY 2031                     1, then 2 rejects
    E coord.cs     hosted event, 12 visitors, DE first (europe), 3 days, AY 2030          approved 1-2
    F bob (cs)     student exchange, TU Berlin, 2031-fall, AY 2031                         1, then withdrawn

After approval (the mobilities service's records): C's traveller goes and comes back and E's event is held, both
on the services' today (the API takes no later day); A's student does not go (a no-show). "Completed" counts an
application whose records all ended with a return before the reporting date: none as of today, C and E from
tomorrow; A, ended without anyone coming back, never.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import openpyxl
import pypdf
import pytest
import requests

from services.applications.demo import demo_id
from tests.e2e.test_review_chains import _decide, _status, _task
from tests.support import journeys, wait
from tests.support.api import Gateway

NUS, ASIA = demo_id("partner", "nus"), demo_id("program", "asia-belt-road-2031")


def _get(gw: Gateway, user: str, path: str, **params: Any) -> Any:
    r = gw.call(user, "GET", f"/api/v1/stats/{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _settled(gw: Gateway, expected: dict[str, Any], user: str = "icd.officer", **params: Any) -> dict[str, Any]:
    """The summary once the read model has caught up with the events (it is fed asynchronously)."""
    def current() -> dict[str, Any]:
        return {k: v for k, v in _get(gw, user, "summary", **params)["indicators"].items() if k in expected}

    try:
        return wait.until(lambda: (now := current()) == expected and now, timeout=30, what="the indicators")
    except AssertionError:
        assert current() == expected  # shows the difference
        raise


def _table(gw: Gateway, group_by: str, user: str = "icd.officer", **params: Any) -> list[tuple[Any, int, int, int]]:
    rows = _get(gw, user, "mobilities", group_by=group_by, **params)["rows"]
    return [(r["key"], r["approved"], r["completed"], r["people"]) for r in rows]


def _walk(gw: Gateway, application: dict[str, Any], reviewers: list[str]) -> None:
    for level, reviewer in enumerate(reviewers, start=1):
        _decide(gw, reviewer, _task(gw, reviewer, application["id"], level))


def record_the_six(gateway: Gateway) -> dict[str, Any]:  # returns F
    """The six applications of the module docstring, decided; F is left at level 2, not yet withdrawn."""
    return the_six(gateway)["f"]


def the_six(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """The six applications by their letters (record_the_six)."""
    a = gateway.apply_and_submit("alice", "student_exchange")
    _walk(gateway, a, ["coord.cs", "dean.cs", "icd.officer"])
    b = gateway.apply_and_submit("chen", "student_exchange", ASIA, partner_choices=[NUS], term="2032-spring")
    _walk(gateway, b, ["coord.me", "dean.me", "icd.officer"])
    c = gateway.apply_and_submit("prof.li", "faculty_exchange")
    _decide(gateway, "coord.cs", _task(gateway, "coord.cs", c["id"], 1))
    _decide(gateway, "dean.cs", _task(gateway, "dean.cs", c["id"], 2), "return", "Add the invitation's date.")
    returned = _status(gateway, "prof.li", c["id"], "changes_requested")
    assert gateway.submit("prof.li", c["id"], returned["version"]).status_code == 200
    _decide(gateway, "dean.cs", _task(gateway, "dean.cs", c["id"], 2))
    _decide(gateway, "icd.officer", _task(gateway, "icd.officer", c["id"], 3))
    d = gateway.apply_and_submit("prof.li", "foreign_expert")
    _decide(gateway, "dean.cs", _task(gateway, "dean.cs", d["id"], 1))
    _decide(gateway, "icd.officer", _task(gateway, "icd.officer", d["id"], 2), "reject", "No budget this year.")
    e = gateway.apply_and_submit("coord.cs", "hosted_event")
    _walk(gateway, e, ["dean.cs", "icd.officer"])
    f = gateway.apply_and_submit("bob", "student_exchange")
    _decide(gateway, "coord.cs", _task(gateway, "coord.cs", f["id"], 1))
    _task(gateway, "dean.cs", f["id"], 2)
    for application, status in ((a, "approved"), (b, "approved"), (c, "approved"), (d, "rejected"),
                                (e, "approved")):
        _status(gateway, application["applicant"], application["id"], status)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def record_what_happened(gateway: Gateway, six: dict[str, dict[str, Any]]) -> None:
    """After approval, as the module docstring says: C back, E held, A a no-show; all on the services' today."""
    day = journeys.today()
    (trip,) = journeys.records(gateway, "prof.li", six["c"]["id"], 1)
    journeys.travel(gateway, "prof.li", trip, day)
    (event,) = journeys.records(gateway, "coord.cs", six["e"]["id"], 1)
    journeys.act(gateway, "coord.cs", event["id"], "/steps/held", {"date": str(day)})
    (stay,) = journeys.records(gateway, "alice", six["a"]["id"], 1)
    journeys.act(gateway, "alice", stay["id"], "/no-show", {"reason": "Visa refused."})


@pytest.fixture(scope="module")
def office(gateway: Gateway) -> Gateway:
    six = the_six(gateway)
    record_what_happened(gateway, six)
    gateway.bob_application = six["f"]  # type: ignore[attr-defined]
    return gateway


# Whether F is withdrawn yet or not (the tests may run in any order): the read model has caught up.
CAUGHT_UP = {"outbound_students": 2, "outbound_staff": 1, "hosted_events": 1, "rejected": 1, "submitted": 6}
HEADLINE = {
    "outbound_students": 2, "outbound_staff": 1, "inbound_experts": 0, "hosted_events": 1, "hosted_visitors": 12,
    "completed": 0, "rejected": 1, "approval_rate": 0.8, "active_schools": 2, "partner_institutions": 3,
    "countries": 3, "people_returned": 0, "no_shows": 1,
}


def test_every_indicator_against_the_hand_count_before_and_after_a_withdrawal(office: Gateway) -> None:
    today = str(journeys.today())  # C and E came back today: not before the reporting date yet
    # Before: F is under review; 15 decisions so far (A 3, B 3, C 4, D 2, E 2, F 1), one of them a return.
    _settled(office, {**HEADLINE, "submitted": 6, "under_review": 1, "withdrawn": 0, "return_rate": round(1 / 15, 4)},
             as_of=today)
    f = office.bob_application  # type: ignore[attr-defined]
    current = office.call("bob", "GET", f"/api/v1/applications/{f['id']}").json()
    withdrawn = office.call("bob", "POST", f"/api/v1/applications/{f['id']}/withdraw", {"version": current["version"]})
    assert withdrawn.status_code == 200, withdrawn.text
    after = {**HEADLINE, "submitted": 6, "under_review": 0, "withdrawn": 1, "return_rate": round(1 / 15, 4)}
    assert _settled(office, after, as_of=today) == after
    # From tomorrow C and E are completed (their planned ends, in 2031, no longer count); B is still away and A,
    # a no-show, never went. E's record is an event, not a person: C's traveller alone is back.
    tomorrow = str(journeys.later(journeys.today(), 1))
    for as_of in (tomorrow, "2031-12-31"):
        _settled(office, {"completed": 2, "people_returned": 1, "no_shows": 1, "stays_extended": 0,
                          "stays_shortened": 0}, as_of=as_of)
    # Filters: the academic year of the period, the region, the kind.
    _settled(office, {"outbound_students": 2, "outbound_staff": 0, "hosted_events": 0, "submitted": 4,
                      "withdrawn": 1, "rejected": 1, "approval_rate": round(2 / 3, 4)}, academic_year=2031)
    _settled(office, {"outbound_students": 1, "outbound_staff": 1, "hosted_events": 1, "submitted": 5,
                      "countries": 2, "partner_institutions": 2}, region="europe")
    _settled(office, {"outbound_students": 0, "hosted_visitors": 12, "submitted": 1}, kind="hosted_event")


def test_the_tables_of_approved_mobilities(office: Gateway) -> None:
    _settled(office, CAUGHT_UP)
    assert _table(office, "region") == [("europe", 3, 0, 14), ("asean", 1, 0, 1)]
    assert _table(office, "school") == [("cs", 3, 0, 14), ("me", 1, 0, 1)]
    assert _table(office, "academic_year", as_of="2031-12-31") == [(2030, 2, 2, 13), (2031, 2, 0, 2)]
    assert _table(office, "duration") == [("up_to_six_months", 2, 0, 2), ("two_weeks_or_less", 1, 0, 12),
                                          ("up_to_three_months", 1, 0, 1)]
    assert _table(office, "kind") == [("student_exchange", 2, 0, 2), ("faculty_exchange", 1, 0, 1),
                                      ("hosted_event", 1, 0, 12)]
    assert _table(office, "country") == [("DE", 2, 0, 13), ("IT", 1, 0, 1), ("SG", 1, 0, 1)]
    assert _table(office, "partner") == [
        ("National University of Singapore", 1, 0, 1), ("Politecnico di Milano", 1, 0, 1),
        ("Technische Universität Berlin", 1, 0, 1), (None, 1, 0, 12)]
    assert _table(office, "region", academic_year=2030) == [("europe", 2, 0, 13)]


def test_review_throughput_per_level(office: Gateway) -> None:
    expected = [(1, 6, 6, 0, 0, 0.0), (2, 6, 4, 1, 1, round(1 / 6, 4)), (3, 3, 3, 0, 0, 0.0)]

    def levels() -> list[tuple[Any, ...]]:
        rows = _get(office, "icd.officer", "reviews")["rows"]
        return [(r["level"], r["decisions"], r["approve"], r["return"], r["reject"], r["return_rate"]) for r in rows]

    wait.until(lambda: levels() == expected, what="the review decisions in the read model")
    rows = _get(office, "icd.officer", "reviews")["rows"]
    assert all(r["median_hours"] is not None and 0 <= r["median_hours"] < 1 for r in rows)
    cs_only = _get(office, "dean.cs", "reviews")["rows"]
    assert [(r["level"], r["decisions"]) for r in cs_only] == [(1, 5), (2, 5), (3, 2)]


def test_who_sees_what(office: Gateway) -> None:
    _settled(office, CAUGHT_UP)
    for user in ("alice", "coord.cs", "prof.li", "vp.fa"):
        for path in ("summary", "reviews", "definitions", "mobilities?group_by=kind"):
            r = office.call(user, "GET", f"/api/v1/stats/{path}")
            assert r.status_code == 403, (user, path, r.text)
            assert r.headers["Content-Type"].startswith("application/problem+json")
    dean = _get(office, "dean.cs", "summary")
    assert dean["filters"]["schools"] == ["cs"]
    assert {k: dean["indicators"][k] for k in ("outbound_students", "submitted", "active_schools")} == {
        "outbound_students": 1, "submitted": 5, "active_schools": 1}
    assert _table(office, "school", user="dean.cs") == [("cs", 3, 0, 14)]
    assert office.call("dean.cs", "GET", "/api/v1/stats/summary?school=me").status_code == 403
    assert _get(office, "dean.me", "summary")["indicators"]["outbound_students"] == 1
    assert _get(office, "admin", "summary")["indicators"]["outbound_students"] == 2


@pytest.mark.parametrize("query", ["group_by=planet", "", "group_by=kind&region=mars", "group_by=kind&academic_year=x",
                                   "group_by=kind&as_of=yesterday", "group_by=kind&colour=red"])
def test_bad_filters_are_a_422(office: Gateway, query: str) -> None:
    r = office.call("icd.officer", "GET", f"/api/v1/stats/mobilities?{query}")
    assert r.status_code == 422, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")


def _csrf(session: requests.Session, url: str) -> str:
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', session.get(url).text)
    assert token, url
    return token.group(1)


def _page_session(gw: Gateway, user: str, language: str) -> requests.Session:
    """A browser-like session signed in on the web pages (login form with its CSRF token), in `language`."""
    session = requests.Session()
    signed_in = session.post(f"{gw.base_url}/login", allow_redirects=False, data={
        "username": user, "password": "demo", "csrf_token": _csrf(session, f"{gw.base_url}/login")})
    assert signed_in.status_code == 302, signed_in.text
    switched = session.post(f"{gw.base_url}/language", allow_redirects=False,
                            data={"lang": language, "csrf_token": _csrf(session, f"{gw.base_url}/inbox")})
    assert switched.status_code == 302, switched.text
    return session


def test_the_dashboard_and_its_files_in_both_languages(office: Gateway) -> None:
    _settled(office, CAUGHT_UP)
    for language, title, europe, asean, heading in (
            ("en", "Statistics of international mobility", "Europe", "ASEAN", "Region"),
            ("zh", "国际交流统计", "欧洲", "东盟", "地区")):
        web = _page_session(office, "icd.officer", language)
        page = web.get(f"{office.base_url}/stats")
        assert page.status_code == 200 and title in page.text
        assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 5
        assert f'data-label="{europe}" data-value="3"' in page.text
        exported = web.get(f"{office.base_url}/stats/export/region.csv")
        assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in exported.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows == [[heading, *rows[0][1:]], [europe, "3", "0", "2", "12"], [asean, "1", "0", "1", "0"]]
        workbook = web.get(f"{office.base_url}/stats/export/school.xlsx").content
        sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
        assert [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
            ["School of Computer Science" if language == "en" else "计算机学院", 3, 0, 2, 12],
            ["School of Mechanical Engineering" if language == "en" else "机械工程学院", 1, 0, 1, 0]]
        report = web.get(f"{office.base_url}/stats/report.pdf")  # no year named: the newest year with data
        assert report.status_code == 200 and report.headers["Content-Type"] == "application/pdf"
        assert report.url.endswith("academic_year=2031")
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(report.content)).pages)
        wanted = ("International mobility statistics", "Academic year 2031–2032", "Students going abroad") \
            if language == "en" else ("国际交流统计报告", "2031–2032 学年", "出国（境）学生")
        assert all(w in text for w in wanted), text[:500]


def test_the_pages_for_deans_and_for_everyone_else(office: Gateway) -> None:
    _settled(office, CAUGHT_UP)
    for user in ("alice", "coord.cs"):
        web = _page_session(office, user, "en")
        assert 'href="/stats"' not in web.get(f"{office.base_url}/").text
        for path in ("/stats", "/stats/export/summary.csv", "/stats/report.pdf?academic_year=2031"):
            assert web.get(f"{office.base_url}{path}").status_code == 403, (user, path)
    dean = _page_session(office, "dean.cs", "en")
    page = dean.get(f"{office.base_url}/stats")
    assert page.status_code == 200 and "only School of Computer Science" in page.text
    assert 'value="me"' not in page.text  # the school filter offers their school only
    exported = dean.get(f"{office.base_url}/stats/export/school.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[1:] == [["School of Computer Science", "3", "0", "2", "12"]]
    assert dean.get(f"{office.base_url}/stats/export/school.csv?school=me").status_code == 403
    icd = _page_session(office, "icd.officer", "en")
    hostile = icd.get(f"{office.base_url}/stats/export/kind.csv", allow_redirects=False,
                      params={"school": "x\"; filename*=UTF-8''evil.html", "academic_year": "2031"})
    assert hostile.status_code == 302 and hostile.headers["Location"].endswith("/stats")  # no such school
    newline = icd.get(f"{office.base_url}/stats/export/kind.csv", params={"academic_year": "2031\n"})
    assert newline.status_code == 200  # the service reads 2031; the file name keeps only safe characters
    assert newline.headers["Content-Disposition"] == 'attachment; filename="mobility-statistics-kind-2031.csv"'
    assert newline.headers["Content-Type"] == "text/csv; charset=utf-8"
    tampered = dean.get(f"{office.base_url}/stats?region=mars", allow_redirects=False)
    assert tampered.status_code == 302 and tampered.headers["Location"].endswith("/stats")
