"""All applications for the office and the schools (gateway/web/worklist.py and the applications list's q and
academic_year): search, filters, paging and the CSV/XLSX export, each within the reader's scope."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration.test_web_pages import browser, system, token_for  # noqa: F401
from tests.support.api import PDF, example


def _submitted(system: Embedded, username: str, motivation: str) -> str:  # noqa: F811
    """A student exchange of `username`'s, submitted through the API."""
    client = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, username)}"}
    body = example("student_exchange")
    body["form"]["motivation"] = motivation
    created = client.post("/api/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    application_id = str(created.get_json()["id"])
    for doc_type in ("transcript", "language_certificate"):
        uploaded = client.post(f"/api/v1/applications/{application_id}/documents", headers=headers,
                               data={"doc_type": doc_type, "file": (io.BytesIO(PDF), "t.pdf")})
        assert uploaded.status_code == 201, uploaded.get_json()
    submitted = client.post(f"/api/v1/applications/{application_id}/submit", headers={**headers, "If-Match": '"1"'})
    assert submitted.status_code == 200, submitted.get_json()
    return application_id


@pytest.fixture(scope="module")
def applications(system: Embedded) -> Iterator[dict[str, str]]:  # noqa: F811
    yield {"cs": _submitted(system, "alice", "Robotics."), "me": _submitted(system, "chen", "Lab work.")}


def _api(system: Embedded, username: str, **params: str) -> list[dict[str, str]]:  # noqa: F811
    client = system.gateway.test_client()
    reply = client.get("/api/v1/applications", query_string={"view": "review", **params},
                       headers={"Authorization": f"Bearer {token_for(client, username)}"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["items"]  # type: ignore[no-any-return]


def test_search_matches_name_username_and_partner_in_any_case(system: Embedded,  # noqa: F811
                                                             applications: dict[str, str]) -> None:
    assert applications["cs"] in {a["id"] for a in _api(system, "icd.officer", q="alice wang")}
    assert applications["me"] in {a["id"] for a in _api(system, "icd.officer", q="CHEN")}
    berlin = _api(system, "icd.officer", q="UNIVERSITÄT berlin")
    assert {applications["cs"], applications["me"]} <= {a["id"] for a in berlin}
    assert all(a["partner_name"] and "berlin" in a["partner_name"].lower() or "berlin" in a["title"].lower()
               for a in berlin)
    assert _api(system, "icd.officer", q="no-such-person-anywhere") == []


def test_academic_year_comes_from_the_mobility_facts(system: Embedded,  # noqa: F811
                                                     applications: dict[str, str]) -> None:
    in_2031 = {a["id"]: a for a in _api(system, "icd.officer", academic_year="2031")}  # the example's 2031-fall
    assert applications["cs"] in in_2031 and in_2031[applications["cs"]]["academic_year"] == 2031
    assert applications["cs"] not in {a["id"] for a in _api(system, "icd.officer", academic_year="2030")}


def test_a_search_pages_without_skipping(system: Embedded, applications: dict[str, str]) -> None:  # noqa: F811
    client = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, 'icd.officer')}"}
    seen: list[str] = []
    cursor = None
    while True:
        reply = client.get("/api/v1/applications", headers=headers, query_string={
            "view": "review", "q": "technische", "limit": 1, **({"cursor": cursor} if cursor else {})}).get_json()
        seen.extend(a["id"] for a in reply["items"])
        cursor = reply["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and {applications["cs"], applications["me"]} <= set(seen)


def test_a_coordinator_never_sees_another_schools_applications(system: Embedded,  # noqa: F811
                                                               applications: dict[str, str]) -> None:
    coordinator = browser(system, "coord.cs")
    page = coordinator.get("/all-applications")
    assert page.status_code == 200
    assert applications["cs"] in page.text and applications["me"] not in page.text
    assert 'value="me"' not in page.text  # the school filter offers no school outside the coordinator's scope
    assert applications["me"] not in coordinator.get("/all-applications?school=me").text
    assert applications["me"] not in coordinator.get("/all-applications?q=chen").text
    exported = coordinator.get("/all-applications/export.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert "Chen" not in exported.data.decode("utf-8-sig") and any("Alice Wang" in r for r in rows)
    assert {r[1] for r in rows[1:]} == {"计算机学院"}  # the coordinator reads Chinese
    assert applications["cs"] not in browser(system, "coord.me").get("/all-applications").text


def _rows(client: FlaskClient, query: str) -> list[list[str]]:
    exported = client.get(f"/all-applications/export.csv?{query}")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="applications')
    return list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))


def test_the_office_filters_and_exports_in_words(system: Embedded,  # noqa: F811
                                                 applications: dict[str, str]) -> None:
    office = browser(system, "admin")  # an English reader (icd.officer reads Chinese)
    status = next(a["status"] for a in _api(system, "icd.officer", q="alice") if a["id"] == applications["cs"])
    page = office.get(f"/all-applications?status={status}&kind=student_exchange&q=alice")
    assert page.status_code == 200 and applications["cs"] in page.text and applications["me"] not in page.text
    rows = _rows(office, f"status={status}&kind=student_exchange&q=alice")
    assert rows[0] == ["Applicant", "School", "Kind", "Title", "Program", "First-choice partner", "Status",
                       "Submitted", "Last change"]
    mine = [r for r in rows[1:] if r[0] == "Alice Wang"]
    assert mine and mine[0][1] == "School of Computer Science" and mine[0][6] == status.replace("_", " ")
    assert "student_exchange" not in mine[0] and "T" not in mine[0][7][10:11]  # words and local times, not codes
    chinese = browser(system, "icd.officer", language="zh")
    chinese_rows = _rows(chinese, "q=alice")
    assert chinese_rows[0][0] == "申请人" and "计算机学院" in {r[1] for r in chinese_rows[1:]}
    xlsx = office.get("/all-applications/export.xlsx?q=alice")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None and sheet.cell(1, 1).value == "Applicant"
    assert "Alice Wang" in [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)]


def test_students_get_403_and_bad_filters_start_over(system: Embedded) -> None:  # noqa: F811
    student = browser(system, "alice")
    assert student.get("/all-applications").status_code == 403
    assert student.get("/all-applications/export.csv").status_code == 403
    office = browser(system, "icd.officer")
    assert office.get("/all-applications?academic_year=soon").status_code == 302
    assert office.get("/all-applications?cursor=garbage").status_code == 302
