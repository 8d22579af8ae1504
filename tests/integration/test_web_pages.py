"""The pages on the embedded system (in-process, SQLite, in-memory bus): sessions, CSRF, access, errors,
languages and admin. The browser journeys are in tests/browser."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from chassis.settings import Settings
from mobility.embedded import Embedded
from tests.support.api import PDF, example
from tests.support.wait import until

TEMPLATES = Path(__file__).resolve().parents[2] / "gateway" / "templates"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("web") / "var"),
                                  "MOBILITY_SMTP_PORT": "9", "MOBILITY_RATE_LIMIT_LOGIN": "1000/minute"})
    system = Embedded(settings).start()
    yield system
    system.stop()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def browser(system: Embedded, username: str | None = None, language: str = "en") -> FlaskClient:
    client = system.gateway.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    if username:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"username": username, "password": "demo", "csrf_token": token})
        assert response.status_code == 302, response.text
    return client


def token_for(client: FlaskClient, username: str) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
    return str(response.get_json()["access_token"])


def alices_application(system: Embedded, with_documents: bool = False) -> str:
    """A draft of alice's, through the API; with the documents a student exchange needs to be submitted."""
    client = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, 'alice')}"}
    created = client.post("/api/v1/applications", json=example("student_exchange"), headers=headers)
    assert created.status_code == 201, created.get_json()
    application_id = str(created.get_json()["id"])
    for doc_type in ("transcript", "language_certificate") if with_documents else ():
        uploaded = client.post(f"/api/v1/applications/{application_id}/documents", headers=headers,
                               data={"doc_type": doc_type, "file": (io.BytesIO(PDF), "t.pdf")})
        assert uploaded.status_code == 201, uploaded.get_json()
    return application_id


def test_a_form_posted_without_its_csrf_token_is_refused(system: Embedded) -> None:
    client = browser(system)
    response = client.post("/login", data={"username": "alice", "password": "demo"})
    assert response.status_code == 400
    assert response.mimetype == "text/html" and 'data-error="400"' in response.text
    assert client.get("/applications").status_code == 302  # not signed in

    signed_in = browser(system, "alice")
    before = signed_in.get("/applications").text
    refused = signed_in.post("/apply/student_exchange", data={"gpa": "3.5"})
    assert refused.status_code == 400
    assert signed_in.get("/applications").text.count("<tr>") == before.count("<tr>")  # nothing was created


def test_session_cookie_flags_and_security_headers(system: Embedded) -> None:
    client = system.gateway.test_client()
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "alice", "password": "demo", "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # local dev over http; https public URLs get Secure (test below)
    page = client.get("/applications")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"


def test_cookies_are_secure_when_the_public_address_is_https(tmp_path: Path) -> None:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path), "MOBILITY_PUBLIC_BASE_URL": "https://mobility.example.edu"})
    assert settings.session_cookie_secure
    assert not Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path)}).session_cookie_secure


def test_no_template_carries_inline_script_or_event_handlers() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert "<script" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "style=" not in text, template
        assert "http://" not in text and "https://" not in text, f"{template} loads from elsewhere"


def test_signing_out_ends_the_session_on_the_server(system: Embedded) -> None:
    client = browser(system, "alice")
    stolen = client.get_cookie("mobility_session")
    assert stolen is not None
    page = client.get("/applications")
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    replay = system.gateway.test_client()
    replay.set_cookie("mobility_session", stolen.value)
    assert replay.get("/applications").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "/%09/evil.example", "/\\evil.example", "https://evil.example",
                                    "/\r\n/evil.example"])
def test_login_and_the_language_switch_do_not_redirect_elsewhere(system: Embedded, target: str) -> None:
    from urllib.parse import quote

    client = system.gateway.test_client()
    token = csrf_of(client.get("/login").text)
    response = client.post(f"/login?next={quote(target, safe='/%')}", data={
        "username": "alice", "password": "demo", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/applications")
    switched = client.post("/language", data={"lang": "en", "next": target.replace("%09", "\t"),
                                              "csrf_token": csrf_of(page.text)})
    assert switched.status_code == 302 and switched.headers["Location"] == "/"
    assert client.post("/language", data={"lang": "en", "csrf_token": csrf_of(page.text)}).status_code == 302


def test_a_tampered_hidden_field_is_a_400_page_not_a_500(system: Embedded) -> None:
    application_id = alices_application(system)
    alice = browser(system, "alice")
    page = alice.get(f"/applications/{application_id}")
    for action in ("submit", "withdraw"):
        response = alice.post(f"/applications/{application_id}/{action}",
                              data={"version": "x", "csrf_token": csrf_of(page.text)})
        assert response.status_code == 400 and 'data-error="400"' in response.text
    assert 'data-status="draft"' in alice.get(f"/applications/{application_id}").text


def test_wrong_password_is_a_form_error_not_a_session(system: Embedded) -> None:
    client = browser(system)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "alice", "password": "nope", "csrf_token": token})
    assert response.status_code == 401 and "wrong password" in response.text
    assert client.get("/applications").status_code == 302


def test_someone_elses_application_is_a_404_page(system: Embedded) -> None:
    application_id = alices_application(system)
    assert browser(system, "alice").get(f"/applications/{application_id}").status_code == 200
    response = browser(system, "bob").get(f"/applications/{application_id}")
    assert response.status_code == 404 and 'data-error="404"' in response.text
    assert "data-status" not in response.text  # nothing of the application shows
    bob = browser(system, "bob")
    token = csrf_of(bob.get("/applications").text)
    withdraw = bob.post(f"/applications/{application_id}/withdraw", data={"version": "1", "csrf_token": token})
    assert withdraw.status_code == 404
    assert "draft" in browser(system, "alice").get(f"/applications/{application_id}").text


def test_a_reviewer_sees_overdue_tasks_and_another_school_cannot_open_them(system: Embedded) -> None:
    application_id = alices_application(system, with_documents=True)
    client = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, 'alice')}"}
    assert client.post(f"/api/v1/applications/{application_id}/submit", headers=headers,
                       json={"version": 1}).status_code == 200
    coord = browser(system, "coord.cs")

    def task_id() -> str | None:
        match = re.search(rf'data-task="([^"]+)" data-application="{application_id}"', coord.get("/queue").text)
        return match.group(1) if match else None

    until(lambda: task_id() is not None, what="the review task")
    row = rf'<tr data-task="{task_id()}"[^>]*>.*?</tr>'
    assert "data-overdue" not in re.search(row, coord.get("/queue").text, re.S).group(0)  # type: ignore[union-attr]
    with system.engines["reviews"].begin() as db:  # let five days pass for this task
        db.execute(text("update review_tasks set due_at = :past where id = :id"),
                   {"past": datetime.now(UTC) - timedelta(days=5), "id": task_id()})
    assert "data-overdue" in re.search(row, coord.get("/queue").text, re.S).group(0)  # type: ignore[union-attr]
    assert browser(system, "coord.me").get(f"/tasks/{task_id()}").status_code == 404
    assert browser(system, "alice").get(f"/tasks/{task_id()}").status_code == 403  # not a reviewer at all
    assert coord.get(f"/tasks/{task_id()}").status_code == 200


def test_field_errors_come_back_next_to_their_fields_and_nothing_is_saved(system: Embedded) -> None:
    alice = browser(system, "alice")
    programs = alice.get("/programs").text
    program_id = re.search(r"program_id=([0-9a-f-]{36})", programs).group(1)  # type: ignore[union-attr]
    form = alice.get(f"/apply/student_exchange?program_id={program_id}").text
    before = alice.get("/applications").text.count("<tr>")
    response = alice.post("/apply/student_exchange", data={
        "csrf_token": csrf_of(form), "program_id": program_id, "gpa": "5", "language_certificate-type": "IELTS",
        "language_certificate-score": "x", "action": "save"})
    assert response.status_code == 422
    gpa_errors = re.search(r'id="gpa-errors">(.*?)</ul>', response.text, re.S)
    assert gpa_errors and "less than or equal to 4" in gpa_errors.group(1)
    assert 'id="language_certificate-score-errors"' in response.text
    assert 'aria-invalid="true"' in response.text and 'value="5"' in response.text  # input kept
    assert alice.get("/applications").text.count("<tr>") == before


def test_language_comes_from_the_choice_then_the_account_then_the_browser(system: Embedded) -> None:
    anonymous = browser(system, language="zh-CN,zh;q=0.9")
    assert "登录" in anonymous.get("/login").text
    assert "Sign in" in browser(system, language="en-GB").get("/login").text
    assert "审核队列" in browser(system, "coord.cs", language="en").get("/queue").text  # account says zh
    alice = browser(system, "alice", language="zh-CN")  # account says en
    page = alice.get("/applications")
    assert "My applications" in page.text
    switched = alice.post("/language", data={"lang": "zh", "next": "/applications", "csrf_token": csrf_of(page.text)})
    assert switched.status_code == 302 and switched.headers["Location"] == "/applications"
    assert "我的申请" in alice.get("/applications").text
    assert "我的申请" in browser(system, "alice", language="en").get("/applications").text  # saved on the account
    page = alice.get("/applications")
    alice.post("/language", data={"lang": "en", "next": "/", "csrf_token": csrf_of(page.text)})


def test_service_messages_are_translated_for_chinese_readers(system: Embedded) -> None:
    bob = browser(system, "bob", language="zh-CN")
    programs = bob.get("/programs").text
    program_id = re.search(r"program_id=([0-9a-f-]{36})", programs).group(1)  # type: ignore[union-attr]
    form = bob.get(f"/apply/student_exchange?program_id={program_id}").text
    response = bob.post("/apply/student_exchange", data={
        "csrf_token": csrf_of(form), "program_id": program_id, "motivation": "   ", "action": "save"})
    assert response.status_code == 422
    assert "Must not be blank" not in response.text


def test_admin_pages_are_for_admins_and_change_accounts_through_the_rules(system: Embedded) -> None:
    assert browser(system, "alice").get("/admin/users").status_code == 403
    assert browser(system, "icd.officer").get("/admin/users").status_code == 403
    assert browser(system, "icd.officer").get("/admin/programs").status_code == 200
    admin = browser(system, "admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "alice" in page.text
    bad = admin.post("/admin/users", data={"csrf_token": csrf_of(page.text), "username": "mallory",
                                           "email": "m@example.edu", "password": "pw-123456",
                                           "roles": "admin@cs", "what": "create"}, follow_redirects=True)
    assert "university-wide" in bad.text and "mallory" not in bad.text.split("<tbody>")[1]
    good = admin.post("/admin/users", data={"csrf_token": csrf_of(page.text), "username": "wang.fang",
                                            "email": "wf@example.edu", "password": "demo", "school": "me",
                                            "roles": "teacher@me", "name": "Wang Fang", "what": "create"},
                      follow_redirects=True)
    assert "wang.fang" in good.text
    taken = admin.post("/admin/users", data={"csrf_token": csrf_of(page.text), "username": "alice",
                                             "email": "x@example.edu", "password": "pw-123456", "roles": "admin",
                                             "what": "create"}, follow_redirects=True)
    assert "taken" in taken.text
    assert browser(system, "alice").get("/admin").status_code == 403  # alice is still only a student
    assert "/apply/faculty_exchange" in browser(system, "wang.fang").get("/programs").text  # a teacher now


def test_admin_registers_an_api_client_whose_scope_reaches_only_the_feed(system: Embedded) -> None:
    admin = browser(system, "admin")
    page = admin.get("/admin/clients")
    shown = admin.post("/admin/clients", data={"csrf_token": csrf_of(page.text), "client_id": "finance",
                                               "name": "Finance", "scopes": "events:read"})
    secret = re.search(r'id="client-secret">([^<]+)<', shown.text).group(1)  # type: ignore[union-attr]
    client = system.gateway.test_client()
    token = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials", "client_id": "finance",
                                                    "client_secret": secret}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/events", headers=headers).status_code == 200
    assert client.get("/api/v1/applications", headers=headers).status_code == 403
    assert client.post("/api/v1/subscriptions", headers=headers, json={}).status_code == 403


def test_one_openapi_document_for_the_whole_api(system: Embedded) -> None:
    client = system.gateway.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/auth/token", "/api/v1/applications", "/api/v1/applications/{application_id}/reviews",
                 "/api/v1/review-tasks", "/api/v1/notifications", "/api/v1/events", "/api/v1/subscriptions"):
        assert path in spec["paths"], path
    assert not any(p.startswith("/healthz") or p == "/openapi.json" for p in spec["paths"])
    text = json.dumps(spec)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in spec["components"]["schemas"], ref
    docs = client.get("/docs/api")
    assert docs.status_code == 200 and "/api/v1/review-tasks" in docs.text


def test_the_dlq_page_lists_and_replays_parked_messages(system: Embedded) -> None:
    from kombu import Connection, Queue

    with Connection(system.settings.broker_url) as connection:
        producer = connection.Producer()
        producer.publish(b"not json at all", routing_key="reviews.events.dlq", exchange="",
                         declare=[Queue("reviews.events.dlq", durable=True)], content_type="application/json",
                         headers={"x-error": "undecodable: test"})
    admin = browser(system, "admin")
    page = admin.get("/admin/dlq")
    assert page.status_code == 200 and "undecodable: test" in page.text
    assert browser(system, "icd.officer").get("/admin/dlq").status_code == 403
    replayed = admin.post("/admin/dlq", data={"csrf_token": csrf_of(page.text), "queue": "reviews.events"},
                          follow_redirects=True)
    assert 'class="flash success"' in replayed.text and "undecodable: test" not in replayed.text
    assert admin.post("/admin/dlq", data={"csrf_token": csrf_of(page.text), "queue": "no.such"}).status_code == 404


def test_changes_requested_are_answered_by_editing_and_submitting_again(system: Embedded) -> None:
    application_id = alices_application(system, with_documents=True)
    alice = browser(system, "alice")
    page = alice.get(f"/applications/{application_id}")
    submitted = alice.post(f"/applications/{application_id}/submit",
                           data={"version": "1", "csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert 'data-status="submitted"' in submitted.text

    coord = browser(system, "coord.cs")
    found: list[str] = []

    def task_listed() -> bool:
        found[:] = re.findall(rf'data-task="([^"]+)" data-application="{application_id}"', coord.get("/queue").text)
        return bool(found)

    until(task_listed, what="the review task")
    task = coord.get(f"/tasks/{found[0]}")
    claim = coord.post(f"/tasks/{found[0]}/claim", data={"csrf_token": csrf_of(task.text)})
    assert claim.status_code == 302
    task = coord.get(f"/tasks/{found[0]}")
    version = re.search(r'name="application_version" value="(\d+)"', task.text).group(1)  # type: ignore[union-attr]
    no_comment = coord.post(f"/tasks/{found[0]}", data={"csrf_token": csrf_of(task.text), "outcome": "return",
                                                        "comment": "", "application_version": version})
    assert no_comment.status_code == 422 and 'id="comment-errors"' in no_comment.text
    returned = coord.post(f"/tasks/{found[0]}", data={"csrf_token": csrf_of(task.text), "outcome": "return",
                                                      "comment": "Add your IELTS details.",
                                                      "application_version": version})
    assert returned.status_code == 302

    def changes_requested() -> bool:
        return 'data-status="changes_requested"' in alice.get(f"/applications/{application_id}").text

    until(changes_requested, what="changes_requested")
    detail = alice.get(f"/applications/{application_id}")
    assert "Add your IELTS details." in detail.text
    edit = alice.get(f"/applications/{application_id}/edit")
    version = re.search(r'name="version" value="(\d+)"', edit.text).group(1)  # type: ignore[union-attr]
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', edit.text))
    choice = re.search(r'<select id="partner_choices-0"[^>]*>.*?<option selected value="([^"]+)"', edit.text, re.S)
    term = re.search(r'<select id="term"[^>]*>.*?<option selected value="([^"]+)"', edit.text, re.S)
    resubmitted = alice.post(f"/applications/{application_id}/edit", data={
        "csrf_token": csrf_of(edit.text), "version": version, "gpa": fields["gpa"],
        "language_certificate-type": "IELTS", "language_certificate-score": "7.0",
        "motivation": "Revised motivation.", "term": term.group(1),  # type: ignore[union-attr]
        "partner_choices-0": choice.group(1), "action": "submit"}, follow_redirects=True)  # type: ignore[union-attr]
    assert 'data-status="submitted"' in resubmitted.text, re.findall(r'class="flash[^>]*>([^<]+)', resubmitted.text)
    assert "Revised motivation." in resubmitted.text


def test_a_service_message_quoting_stored_data_is_shown_as_text(system: Embedded) -> None:
    icd = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(icd, 'icd.officer')}"}
    partners = icd.get("/api/v1/partners", headers=headers).get_json()
    program = icd.post("/api/v1/programs", headers=headers, json={
        "code": "markup-test", "name": "<img src=x id=INJ> 100% funded", "seats": 1,
        "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2035-01-01T00:00:00Z",
        "partner_ids": [partners[0]["id"]]})
    assert program.status_code == 201, program.get_json()
    other = next(p for p in partners if p["id"] != partners[0]["id"])
    alice = browser(system, "alice")
    form = alice.get(f"/apply/student_exchange?program_id={program.get_json()['id']}")
    response = alice.post("/apply/student_exchange", data={
        "csrf_token": csrf_of(form.text), "program_id": program.get_json()["id"], "partner_choices-0": other["id"],
        "action": "save"})
    assert response.status_code == 422
    assert "<img src=x id=INJ>" not in response.text and "&lt;img src=x id=INJ&gt; 100% funded" in response.text


def test_metrics_are_for_the_scraper_not_for_visitors_through_the_proxy(system: Embedded) -> None:
    client = system.gateway.test_client()
    client.get("/login")
    page = client.get("/metrics")
    assert page.status_code == 200 and page.mimetype == "text/plain"
    assert 'mobility_http_request_duration_seconds_count{method="GET",route="/login",service="gateway"' in page.text
    assert 'mobility_outbox_pending{source="gateway"}' in page.text
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 404


def test_the_icd_adds_a_partner_and_opens_a_program_from_the_admin_pages(system: Embedded) -> None:
    icd = browser(system, "icd.officer", language="en")
    page = icd.get("/admin/programs")
    added = icd.post("/admin/programs", data={"csrf_token": csrf_of(page.text), "what": "partner",
                                              "name": "Universidad de Chile", "country": "CL", "region": "americas"},
                     follow_redirects=True)
    assert 'class="flash success"' in added.text
    partner_id = re.search(r'<option value="([0-9a-f-]{36})">Universidad de Chile', added.text).group(1)  # type: ignore[union-attr]
    created = icd.post("/admin/programs", data={
        "csrf_token": csrf_of(added.text), "code": "chile-2031", "name": "Chile Semester 2031", "seats": "3",
        "opens_at": "2026-01-01T00:00", "closes_at": "2035-01-01T00:00", "partner_ids": partner_id,
    }, follow_redirects=True)
    assert 'class="flash success"' in created.text and "chile-2031" in created.text
    bad = icd.post("/admin/programs", data={"csrf_token": csrf_of(created.text), "code": "Bad Code", "name": "x",
                                            "seats": "many", "opens_at": "", "closes_at": "", "partner_ids": []},
                   follow_redirects=True)
    assert bad.status_code == 200 and 'class="flash error"' in bad.text and "Bad Code" not in bad.text.split(
        "<tbody>")[1]
    assert "Chile Semester 2031" in browser(system, "alice").get("/programs").text


def test_the_queue_page_shows_fifty_tasks_and_links_the_next_page(system: Embedded) -> None:
    from sqlalchemy.orm import Session

    from services.reviews.models import ReviewTask

    now = datetime.now(UTC)
    made = [ReviewTask(
        id=str(uuid.uuid4()), application_id=str(uuid.uuid4()), application_version=2, kind="student_exchange",
        title=f"Paged {n}", applicant="someone", level=1, role="school_coordinator", school="cs", status="open",
        due_at=now + timedelta(days=3, minutes=n), created_at=now) for n in range(55)]
    ids = [t.id for t in made]
    with Session(system.engines["reviews"]) as db, db.begin():
        db.add_all(made)
    try:
        coord = browser(system, "coord.cs")
        first = coord.get("/queue")
        first_ids = re.findall(r'<tr data-task="([^"]+)"', first.text)
        assert len(first_ids) == 50
        link = re.search(r'<a href="([^"]+)" rel="next">', first.text)
        assert link is not None, "no link to the next page"
        second = coord.get(link.group(1).replace("&amp;", "&"))
        second_ids = re.findall(r'<tr data-task="([^"]+)"', second.text)
        assert second_ids and not set(second_ids) & set(first_ids)  # the rest, none twice
        assert set(ids) <= set(first_ids) | set(second_ids)
        tampered = coord.get("/queue?cursor=not-a-cursor")
        assert tampered.status_code == 302 and tampered.headers["Location"].endswith("/queue")
    finally:
        with Session(system.engines["reviews"]) as db, db.begin():
            db.query(ReviewTask).filter(ReviewTask.id.in_(ids)).delete()


def test_a_kind_added_to_the_service_gets_its_pages_with_no_gateway_edit(system: Embedded) -> None:
    from gateway.web import kinds as page_kinds
    from tests.support.summer_school import FORM, registered

    bob = browser(system, "bob", language="zh-CN")
    assert bob.get("/apply/summer_school").status_code == 404  # not a kind (yet)
    with registered():
        page_kinds.forget(system.gateway)
        assert 'href="/apply/summer_school"' in bob.get("/programs").text
        form = bob.get("/apply/summer_school")
        assert form.status_code == 200 and "<h1>暑期学校" in form.text
        labels = re.findall(r'<label for="(\w+)">([^<]+)</label>', form.text)
        assert [name for name, _ in labels] == ["school_name", "country", "start_date", "end_date"]
        assert labels[0][1] == "暑期学校名称" and 'type="date"' in form.text
        refused = bob.post("/apply/summer_school", data={**FORM, "country": "Britain", "action": "save",
                                                         "csrf_token": csrf_of(form.text)})
        assert refused.status_code == 422 and 'id="country-errors"' in refused.text
        saved = bob.post("/apply/summer_school", data={**FORM, "country": "gb", "action": "save",
                                                       "csrf_token": csrf_of(form.text)}, follow_redirects=True)
        assert 'data-status="draft"' in saved.text and "暑期学校：Oxford Summer School" in saved.text
        values = re.findall(r"<dt>([^<]+)</dt>", saved.text)
        assert values[:2] == ["暑期学校名称", "国家（地区）"]
        assert '<option value="admission_letter">录取通知书</option>' in saved.text
        application_id = re.search(r"/applications/([0-9a-f-]{36})/submit", saved.text).group(1)  # type: ignore[union-attr]
        missing = bob.post(f"/applications/{application_id}/submit", data={
            "version": "1", "csrf_token": csrf_of(saved.text)}, follow_redirects=True)
        assert "请上传此材料：录取通知书。" in missing.text
        uploaded = bob.post(f"/applications/{application_id}/documents", data={
            "csrf_token": csrf_of(saved.text), "document_type": "admission_letter",
            "file": (io.BytesIO(PDF), "letter.pdf")}, follow_redirects=True)
        assert 'class="flash success"' in uploaded.text and ">录取通知书</td>" in uploaded.text
        submitted = bob.post(f"/applications/{application_id}/submit", data={
            "version": "1", "csrf_token": csrf_of(saved.text)}, follow_redirects=True)
        assert 'data-status="submitted"' in submitted.text
        assert "暑期学校" in bob.get("/applications").text
    page_kinds.forget(system.gateway)
    assert bob.get("/apply/summer_school").status_code == 404


def test_the_admin_sets_a_wecom_id_that_reaches_the_notifications_directory(system: Embedded) -> None:
    admin = browser(system, "admin")
    page = admin.get("/admin/users")
    assert 'name="wecom_id"' in page.text
    row = {"csrf_token": csrf_of(page.text), "username": "bob", "roles": "student@cs", "school": "cs"}
    refused = admin.post("/admin/users", data={**row, "wecom_id": "@all"}, follow_redirects=True)
    assert "not @all" in refused.text

    def contacts() -> dict[str, str]:
        with system.engines["notifications"].connect() as connection:
            value = connection.scalar(text("SELECT contacts FROM recipients WHERE username = 'bob'"))
        return json.loads(value) if isinstance(value, str) else dict(value or {})

    admin.post("/admin/users", data={**row, "wecom_id": "bob.wx"}, follow_redirects=True)
    until(lambda: contacts().get("wecom") == "bob.wx", what="bob's WeCom id in the notifications directory")
    assert 'value="bob.wx"' in admin.get("/admin/users").text
    admin.post("/admin/users", data={**row, "wecom_id": ""}, follow_redirects=True)
    until(lambda: "wecom" not in contacts(), what="bob's WeCom id cleared")
    assert browser(system, "alice").post("/admin/users", data={**row, "wecom_id": "x"}).status_code in (400, 403)
