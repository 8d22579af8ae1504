"""The partner's answer page /partner/nominations/<token> on the embedded system (issue 20 item 6, "Must show"):
no sign-in; the page in Chinese and English shows the one nominated student; the answer with a PDF letter is
recorded once; a used, an expired and a tampered link each get their own page; a letter that is not a PDF is
refused on the form and the link stays usable; the page is never cached nor sent on as a Referer."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from chassis.db import make_sessionmaker
from chassis.settings import Settings
from eventbus import envelope
from eventbus.consumer import apply
from gateway.web import partner_pages
from mobility.embedded import Embedded
from services.placements import allocation_runs, handlers, nominations, offer_changes, offers, partner_links, rounds
from tests.support.placements import NUS, TUM, approved, program

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONTACT = {"name": "Dr. Anna Berg", "email": "incoming@tum.example", "phone": "", "role": "nominations"}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("partner") / "var"),
                                  "MOBILITY_SMTP_PORT": "9", "MOBILITY_RATE_LIMIT_VERIFY": "200/minute"})
    system = Embedded(settings).start()
    if "web_partner" not in system.gateway.blueprints:  # until gateway/web/__init__.py registers it
        system.gateway.register_blueprint(partner_pages.bp)
    yield system
    system.stop()


def _deliver(session: Any, event_type: str, data: dict[str, Any]) -> None:
    subject = data.get("application_id") or data["program_id"]
    apply(handlers.HANDLERS, session, envelope.new_event(event_type, "/services/applications", subject, data,
                                                         aggregateversion=1))


def _nominated(system: Embedded, student: str = "Wang Xiaoming") -> str:
    """A nomination of a student who accepted TUM's only place (another student ranked below): its link's token."""
    sessions = make_sessionmaker(system.engines["placements"])
    data = program()
    first = approved(data["program_id"], applicant="alice", gpa="3.9", choices=[TUM], applicant_name=student)
    other = approved(data["program_id"], applicant="bob", gpa="3.1", choices=[TUM, NUS],
                     applicant_name="Other Student")
    with sessions() as session, session.begin():
        _deliver(session, "program.saved", data)
        _deliver(session, "application.approved", first)
        _deliver(session, "application.approved", other)
        session.execute(text("INSERT INTO places (program_id, partner_id, partner_name, places, source, set_by, "
                             "updated_at) VALUES (:p, :t, 'TU Munich', 1, 'office', 'icd.officer', :now)"),
                        {"p": data["program_id"], "t": TUM["partner_id"], "now": datetime.now(UTC)})
        session.execute(text("INSERT INTO agreements (id, partner_id, partner_name, partner_country, type, status, "
                             "contacts, created_by, created_at, updated_at, version) VALUES (:id, :partner, "
                             "'TU Munich', 'DE', 'student_exchange', 'signed', :contacts, 'icd.officer', :now, "
                             ":now, 1)"), {"id": str(uuid.uuid4()), "partner": TUM["partner_id"],
                                          "contacts": json.dumps([CONTACT]), "now": datetime.now(UTC)})
    when = datetime(2031, 4, 10, 2, 0, tzinfo=UTC)  # after the program's window closed
    keyring = partner_links.load_secrets(partner_links.keys_file(system.settings))
    with sessions() as session, session.begin():
        round_ = rounds.open_round(session, data["program_id"], "icd.officer", when)
        allocation_runs.run_allocation(session, round_.id, "icd.officer", "manual", when)
        offer = next(o for o in offers.offers_of(session, round_.id) if o.application_id == first["application_id"])
        offer_changes.answer(session, offer.id, "alice", offer.version, True, when)
        nomination = nominations.nominate(session, round_.id, first["application_id"], "icd.officer",
                                          datetime.now(UTC), 30)
        return partner_links.sign(keyring, nomination.id, nomination.link_nonce or "")


def _client(system: Embedded, language: str = "en") -> FlaskClient:
    client = system.gateway.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def _post(client: FlaskClient, token: str, decision: str = "approve", letter: bytes | None = PDF) -> Any:
    page = client.get(f"/partner/nominations/{token}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    form: dict[str, Any] = {"csrf_token": match.group(1), "decision": decision, "comment": "Welcome"}
    if letter is not None:
        form["letter"] = (io.BytesIO(letter), "letter.pdf")
    return client.post(f"/partner/nominations/{token}", data=form, content_type="multipart/form-data")


def test_the_page_shows_the_one_student_in_both_languages_and_answers_once(system: Embedded) -> None:
    token = _nominated(system)
    client = _client(system)
    page = client.get(f"/partner/nominations/{token}")
    assert page.status_code == 200 and 'data-status="nominated"' in page.text
    assert "Wang Xiaoming" in page.text and "TU Munich" in page.text and "Accept the nomination" in page.text
    for private in ("Other Student", "3.9", "alice", "incoming@tum.example"):
        assert private not in page.text, private
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    chinese = _client(system, "zh").get(f"/partner/nominations/{token}")
    assert "交换学生提名" in chinese.text and "接受提名" in chinese.text and "Wang Xiaoming" in chinese.text

    without_csrf = client.post(f"/partner/nominations/{token}", data={"decision": "approve"})
    assert without_csrf.status_code == 400
    done = _post(client, token)
    assert done.status_code == 200 and 'id="answer-recorded"' in done.text, done.text
    used = client.get(f"/partner/nominations/{token}")
    assert used.status_code == 409 and 'data-status="used"' in used.text and "used already" in used.text
    assert "已使用" in _client(system, "zh").get(f"/partner/nominations/{token}").text


def test_expired_and_tampered_links_get_their_own_pages(system: Embedded) -> None:
    token = _nominated(system)
    for bad in (token[:-4] + "AAAA", "x", "not a token!", partner_links.sign(["another secret"], "n", "k")):
        page = _client(system).get(f"/partner/nominations/{bad}")
        assert page.status_code == 404 and 'data-status="tampered"' in page.text, bad
        assert "not valid" in page.text
    assert "本链接无效" in _client(system, "zh").get(f"/partner/nominations/{token[:-4]}AAAA").text
    with system.engines["placements"].begin() as c:
        c.execute(text("UPDATE nominations SET link_expires_at = :t"), {"t": datetime(2020, 1, 1, tzinfo=UTC)})
    expired = _client(system).get(f"/partner/nominations/{token}")
    assert expired.status_code == 410 and 'data-status="expired"' in expired.text and "expired" in expired.text
    assert "已过期" in _client(system, "zh").get(f"/partner/nominations/{token}").text


def test_a_letter_that_is_not_a_pdf_is_refused_on_the_form(system: Embedded) -> None:
    token = _nominated(system)
    client = _client(system)
    refused = _post(client, token, letter=b"<html><body>not a letter</body></html>")
    assert refused.status_code == 422 and "must be a PDF" in refused.text
    assert 'id="form-partner-answer"' in refused.text  # still open: nothing was recorded
    assert _post(client, token, decision="reject", letter=None).status_code == 200
