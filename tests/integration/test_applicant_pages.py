"""The applicant's pages on the embedded system: the task list from an empty start, uploads offering only the
kind's documents, check your answers, the error summary of a refused submission (nothing new is made), the
review tracker and the return comment, and the "Are you sure?" pages. The browser journey is in
tests/browser/test_applicant_journey.py."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration.test_web_pages import alices_application, browser, csrf_of, system, token_for  # noqa: F401
from tests.support.api import PDF
from tests.support.wait import until


def first_program(client: FlaskClient) -> str:
    return re.search(r"program_id=([0-9a-f-]{36})", client.get("/programs").text).group(1)  # type: ignore[union-attr]


def start(client: FlaskClient, kind: str, program_id: str | None = None) -> str:
    """Start an empty application from the first step; returns its id (the task list is the next page)."""
    query = f"?program_id={program_id}" if program_id else ""
    form = client.get(f"/apply/{kind}{query}")
    assert 'id="start-application"' in form.text
    started = client.post(f"/apply/{kind}", data={"csrf_token": csrf_of(form.text), "action": "start",
                                                  **({"program_id": program_id} if program_id else {})})
    assert started.status_code == 302, started.text
    return started.headers["Location"].rsplit("/", 1)[-1]


def task_statuses(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-task-key="([\w-]+)".*?data-task-status="(\w+)"', html, re.S))


def test_an_empty_start_shows_the_task_list_and_takes_documents_first(system: Embedded) -> None:  # noqa: F811
    alice = browser(system, "alice")
    before = alice.get("/applications").text.count('href="/applications/')
    application_id = start(alice, "student_exchange", first_program(alice))
    page = alice.get(f"/applications/{application_id}")
    assert task_statuses(page.text) == {"form": "not_started", "document-transcript": "not_started",
                                        "document-language_certificate": "not_started", "declaration": "cannot_start"}
    offered = re.findall(r'<option[^>]*value="(\w+)"', page.text.split('id="upload"')[1])
    assert set(offered) <= {"transcript", "language_certificate", "other"} and "transcript" in offered
    assert "Version" not in page.text and 'name="version"' not in page.text.split('id="tasks"')[0]
    uploaded = alice.post(f"/applications/{application_id}/documents", data={
        "csrf_token": csrf_of(page.text), "document_type": "transcript", "file": (io.BytesIO(PDF), "t.pdf")},
        follow_redirects=True)
    assert task_statuses(uploaded.text)["document-transcript"] == "done"
    preselected = alice.get(f"/applications/{application_id}?document_type=language_certificate").text
    assert re.search(r'<option selected value="language_certificate">', preselected)
    assert alice.get("/applications").text.count('href="/applications/') == before + 1


def test_an_incomplete_submission_shows_an_error_summary_in_the_page_language(system: Embedded) -> None:  # noqa: F811
    bob = browser(system, "bob", language="zh-CN")
    application_id = start(bob, "student_exchange", first_program(bob))
    check = bob.get(f"/applications/{application_id}/submit")
    assert check.status_code == 200 and 'id="declaration"' in check.text
    assert f'href="/applications/{application_id}/edit#gpa"' in check.text  # a Change link per answer
    count = bob.get("/applications").text.count('href="/applications/')
    undeclared = bob.post(f"/applications/{application_id}/submit", data={
        "csrf_token": csrf_of(check.text), "version": "1", "declaration_asked": "1"})
    assert undeclared.status_code == 422 and 'href="#declaration"' in undeclared.text
    refused = bob.post(f"/applications/{application_id}/submit", data={
        "csrf_token": csrf_of(check.text), "version": "1", "declaration_asked": "1", "declaration": "y"})
    assert refused.status_code == 422
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "存在问题" in summary or "出现了问题" in summary
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary))
    gpa = links[f"/applications/{application_id}/edit#gpa"]  # to the field, by its label, in Chinese
    assert gpa.startswith("GPA") and "必填" in gpa, links
    assert "请上传此材料" in links[f"/applications/{application_id}#upload"]  # a missing document: to the upload
    assert "Missing data" not in summary and "gpa:" not in summary
    assert bob.get("/applications").text.count('href="/applications/') == count  # nothing new was made
    assert 'data-status="draft"' in bob.get(f"/applications/{application_id}").text


def test_an_empty_staff_trip_is_not_titled_trip_at_abroad(system: Embedded) -> None:  # noqa: F811
    teacher = browser(system, "prof.li", language="zh-CN")
    application_id = start(teacher, "faculty_exchange")
    page = teacher.get(f"/applications/{application_id}").text
    assert "因公出国（境）（草稿）" in page and "abroad" not in page  # the kind is named as the office names it


def test_withdrawing_and_removing_a_document_ask_first(system: Embedded) -> None:  # noqa: F811
    application_id = alices_application(system, with_documents=True)
    alice = browser(system, "alice")
    page = alice.get(f"/applications/{application_id}")
    remove = re.search(rf'href="(/applications/{application_id}/documents/[0-9a-f-]+/delete)"', page.text)
    assert remove, "no Remove link"
    confirm = alice.get(remove.group(1))
    assert confirm.status_code == 200 and "t.pdf" in confirm.text and 'id="confirm"' in confirm.text
    assert browser(system, "bob").get(remove.group(1)).status_code == 404
    removed = alice.post(remove.group(1), data={"csrf_token": csrf_of(confirm.text)}, follow_redirects=True)
    assert 'class="flash success"' in removed.text
    ask = alice.get(f"/applications/{application_id}/withdraw")
    assert ask.status_code == 200 and 'method="post"' in ask.text and 'name="version"' in ask.text
    assert browser(system, "bob").get(f"/applications/{application_id}/withdraw").status_code == 404
    assert 'data-status="draft"' in alice.get(f"/applications/{application_id}").text  # asking changed nothing
    version = re.search(r'name="version" value="(\d+)"', ask.text).group(1)  # type: ignore[union-attr]
    done = alice.post(f"/applications/{application_id}/withdraw",
                      data={"csrf_token": csrf_of(ask.text), "version": version}, follow_redirects=True)
    assert 'data-status="withdrawn"' in done.text


def test_the_tracker_shows_the_level_and_the_return_comment_reaches_the_edit_page(system: Embedded) -> None:  # noqa: F811
    application_id = alices_application(system, with_documents=True)
    alice = browser(system, "alice")
    check = alice.get(f"/applications/{application_id}/submit")
    submitted = alice.post(f"/applications/{application_id}/submit", data={
        "csrf_token": csrf_of(check.text), "version": "1", "declaration_asked": "1", "declaration": "y"},
        follow_redirects=True)
    assert 'data-status="submitted"' in submitted.text

    def tracked() -> bool:
        return 'id="tracker"' in alice.get(f"/applications/{application_id}").text

    until(tracked, what="the tracker")
    page = alice.get(f"/applications/{application_id}").text
    assert re.search(r'data-level="1" data-levels="\d"', page) and "School coordinator" in page
    assert re.search(r"<time datetime=\"[^\"]+\" data-due>", page)
    assert '<span class="muted">reviews</span>' not in page and "Version" not in page

    client = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, 'coord.cs')}"}
    task = client.get(f"/api/v1/review-tasks?application_id={application_id}", headers=headers).get_json()[0]
    client.post(f"/api/v1/review-tasks/{task['id']}/claim", headers=headers)
    decided = client.post(f"/api/v1/review-tasks/{task['id']}/decision", headers=headers, json={
        "outcome": "return", "comment": "Add your IELTS details.", "internal_note": "secret note",
        "application_version": task["application_version"]})
    assert decided.status_code == 201, decided.get_json()

    def returned() -> bool:
        return 'data-status="changes_requested"' in alice.get(f"/applications/{application_id}").text

    until(returned, what="changes requested")
    edit = alice.get(f"/applications/{application_id}/edit").text
    assert 'id="return-comment"' in edit and "Add your IELTS details." in edit and "secret note" not in edit
    other = browser(system, "bob").get(f"/api/v1/review-cases/{application_id}/progress")
    assert other.status_code in (401, 404)


def test_a_form_the_reader_may_not_file_is_refused_before_it_is_filled_in(system: Embedded) -> None:  # noqa: F811
    assert browser(system, "alice").get("/apply/faculty_exchange").status_code == 403  # a student
    assert browser(system, "prof.li").get("/apply/faculty_exchange").status_code == 200  # a teacher


def test_the_term_offers_only_terms_that_have_not_begun(system: Embedded) -> None:  # noqa: F811
    from datetime import date

    alice = browser(system, "alice")
    page = alice.get(f"/apply/student_exchange?program_id={first_program(alice)}").text
    offered = re.findall(r'<option value="(\d{4})-(spring|fall)"', page)
    assert offered, page[:2000]
    today = date.today()
    starts = {"spring": 2, "fall": 9}
    assert all(date(int(year), starts[season], 1) > today for year, season in offered)
