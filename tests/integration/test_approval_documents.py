"""The 任务批件 (approval document) of a staff trip abroad, on PostgreSQL: numbered on final approval, gap-free per
year even when two approvals land at once; its PDF (Chinese, or English) holds the names and the number with its
font embedded; its verification shows only the listed fields and the right status (valid, superseded, cancelled);
a cancellation needs a reason. The public page /verify/<token> is tested on the embedded system."""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from chassis.db import make_sessionmaker
from chassis.settings import Settings
from chassis.tokens import Identity
from eventbus import envelope
from eventbus.consumer import apply
from gateway.demo import ACCOUNTS
from mobility.embedded import Embedded
from services.applications import approval_pdf, approvals, worker
from services.applications.models import Application, ApprovalDocument
from tests.support.api import example
from tests.support.service_api import Api

SETTINGS = Settings.from_env({})
HANDLERS = worker.handlers(SETTINGS)
YEAR = datetime.now(ZoneInfo(SETTINGS.timezone)).year
CHAIN = [(1, "school_coordinator", "coord.cs", "张秘书"), (2, "school_dean", "dean.cs", "王院长"),
         (3, "icd_officer", "icd.officer", "赵处长")]


def _as(api: Api, user: str, name: str | None = None) -> dict[str, str]:
    """A token for a demo account, under another display name where given (a Chinese one, say)."""
    full_name, school, locale, roles = ACCOUNTS[user]
    who = Identity(username=user, roles=roles, school=school, locale=locale, email=f"{user}@example.org",
                   name=name or full_name)
    return {"Authorization": f"Bearer {api.signer.sign(who, 'applications', 60)}"}


def _submitted(api: Api, name: str = "李伟") -> dict[str, Any]:
    """prof.li's staff trip (signed in as `name`), submitted."""
    created = api.client.post("/api/v1/applications", json=example("faculty_exchange"),
                              headers=_as(api, "prof.li", name))
    assert created.status_code == 201, created.json
    application = created.json
    assert api.upload("prof.li", application["id"], "invitation_letter").status_code == 201
    submitted = api.submit("prof.li", application)
    assert submitted.status_code == 200, submitted.json
    return submitted.json  # type: ignore[no-any-return]


def _events(application: dict[str, Any]) -> list[Any]:
    """Each level's approval, then the chain's completion, as the reviews service announces them."""
    now = datetime.now(UTC).isoformat()
    events = [envelope.new_event("review.decision_recorded", "/services/reviews", application["id"], {
        "task_id": str(uuid.uuid4()), "application_id": application["id"],
        "application_version": application["version"], "kind": "faculty_exchange", "round": 1, "level": level,
        "role": role, "school": "cs", "applicant": "prof.li", "due_at": now, "reviewer": reviewer,
        "reviewer_name": name, "outcome": "approve", "comment": None, "decided_at": now,
    }) for level, role, reviewer, name in CHAIN]
    return [*events, envelope.new_event("review.completed", "/services/reviews", application["id"], {
        "application_id": application["id"], "application_version": application["version"], "outcome": "approved",
        "level": 3, "comment": None, "decided_by": "icd.officer", "decided_at": now})]


def _approve(api: Api, application: dict[str, Any]) -> None:
    for event in _events(application):
        with make_sessionmaker(api.engine)() as session, session.begin():
            apply(HANDLERS, session, event)


def _approved(api: Api, name: str = "李伟") -> dict[str, Any]:
    application = _submitted(api, name)
    _approve(api, application)
    return application


def _approval(api: Api, application: dict[str, Any], user: str = "prof.li") -> Any:
    return api.call(user, "GET", f"/api/v1/applications/{application['id']}/approval")


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def test_final_approval_numbers_the_document_gap_free_in_the_year(api: Api) -> None:
    numbers = [_approval(api, _approved(api)).json["number"] for _ in range(3)]
    assert numbers == [f"国合批〔{YEAR}〕{seq}号" for seq in (1, 2, 3)]
    first = _approval(api, _approved(api)).json
    assert first["revision"] == 1 and first["status"] == "valid"
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/verify/[A-Za-z0-9_-]{32}", first["verify_url"])  # 192 bits


def test_an_application_not_approved_has_no_document_and_takes_no_number(api: Api) -> None:
    pending = _submitted(api)
    assert _approval(api, pending).status_code == 404
    assert api.count("SELECT count(*) FROM approval_series") == 0
    assert _approval(api, _approved(api)).json["number"] == f"国合批〔{YEAR}〕1号"


def test_an_admin_sets_the_years_prefix_and_the_sequence_goes_on(api: Api) -> None:
    _approved(api)
    path = f"/api/v1/approval-series/{YEAR}"
    assert api.call("icd.officer", "PUT", path, json={"prefix": "外事"}).status_code == 403
    blank = api.call("admin", "PUT", path, json={"prefix": "  "})
    assert blank.status_code == 422 and blank.content_type == "application/problem+json"
    changed = api.call("admin", "PUT", path, json={"prefix": "校外批"})
    assert changed.status_code == 200 and changed.json == {"year": YEAR, "prefix": "校外批", "last_seq": 1}
    assert _approval(api, _approved(api)).json["number"] == f"校外批〔{YEAR}〕2号"


def test_two_approvals_at_the_same_moment_get_consecutive_distinct_numbers(api: Api) -> None:
    """Each approval in its own transaction on PostgreSQL, started together and kept open a while after taking its
    number: a number read and then written would be given twice; the locked series row makes the second wait."""
    applications = [_submitted(api, name) for name in ("李伟", "王芳")]
    for application in applications:  # every level but the last decided already
        for event in _events(application)[:-1]:
            with make_sessionmaker(api.engine)() as session, session.begin():
                apply(HANDLERS, session, event)
    # The year's row exists already (else the second insert of it would wait for the first, hiding the race).
    assert api.call("admin", "PUT", f"/api/v1/approval-series/{YEAR}", json={"prefix": "国合批"}).status_code == 200
    start, errors = threading.Barrier(2), []

    def complete(application: dict[str, Any]) -> None:
        try:
            with make_sessionmaker(api.engine)() as session, session.begin():
                start.wait(timeout=10)
                apply(HANDLERS, session, _events(application)[-1])
                time.sleep(1.0)  # the other approval arrives while this one still holds its number
        except Exception as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=complete, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert api.engine.dialect.name == "postgresql"
    with api.engine.connect() as c:
        seqs = sorted(c.scalars(text("SELECT seq FROM approval_documents")))
        numbers = set(c.scalars(text("SELECT number FROM approval_documents")))
        last = c.scalar(text("SELECT last_seq FROM approval_series WHERE year = :y"), {"y": YEAR})
    assert seqs == [1, 2] and len(numbers) == 2 and last == 2


def _pdf_text_and_fonts(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    fonts = [font.get_object() for page in reader.pages
             for font in page["/Resources"]["/Font"].values()]
    return "".join(page.extract_text() for page in reader.pages), fonts


def _embedded(font: Any) -> bool:
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:  # a composite font: its descendant carries the file
        descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_the_pdf_is_chinese_with_the_names_and_the_number_and_its_fonts_are_embedded(api: Api) -> None:
    application = _approved(api)
    approval = _approval(api, application).json
    response = api.call("prof.li", "GET", approval["pdf_url"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    words, fonts = _pdf_text_and_fonts(response.data)
    for expected in ("因公出国（境）任务批件", approval["number"], "李伟", "意大利", "张秘书", "王院长", "赵处长",
                     "2031-03-01", "38,000.00"):
        assert expected in words, expected
    assert "".join(approval["verify_url"].split()) in "".join(words.split())  # printed under the QR code
    assert fonts and all(_embedded(font) for font in fonts)
    english = api.call("prof.li", "GET", approval["pdf_url"] + "?lang=en")
    words, fonts = _pdf_text_and_fonts(english.data)
    assert "Approval of an Official Trip Abroad" in words and approval["number"] in words and "Italy" in words
    assert all(_embedded(font) for font in fonts)
    assert api.call("prof.li", "GET", approval["pdf_url"] + "?lang=fr").status_code == 422


def test_the_document_is_for_the_applicant_the_schools_reviewers_and_the_office_only(api: Api) -> None:
    application = _approved(api)
    for user in ("prof.li", "coord.cs", "icd.officer", "admin"):
        assert _approval(api, application, user).status_code == 200, user
    for user in ("bob", "coord.me"):
        assert _approval(api, application, user).status_code == 404, user
        pdf = api.call(user, "GET", f"/api/v1/applications/{application['id']}/approval.pdf")
        assert pdf.status_code == 404 and pdf.content_type == "application/problem+json", user


def test_without_its_font_the_pdf_is_a_503_naming_the_package(api: Api, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    application = _approved(api)
    service = api.client.application.extensions["mobility"]
    monkeypatch.setattr(service, "settings", replace(service.settings, pdf_font=tmp_path / "none.ttc"))
    response = api.call("prof.li", "GET", f"/api/v1/applications/{application['id']}/approval.pdf")
    assert response.status_code == 503 and response.content_type == "application/problem+json"
    assert "fonts-wqy-microhei" in response.json["detail"]


def _verify(api: Api, token: str) -> Any:
    return api.call("icd.officer", "GET", f"/api/v1/approvals/verify/{token}")


def test_verification_shows_only_the_listed_fields_and_a_random_token_is_not_found(api: Api) -> None:
    application = _approved(api)
    token = _token(_approval(api, application).json["verify_url"])
    shown = _verify(api, token)
    assert shown.status_code == 200
    assert shown.json == {"number": f"国合批〔{YEAR}〕1号", "revision": 1, "names": ["李伟"], "countries": ["IT"],
                          "start_date": "2031-03-01", "end_date": "2031-03-28", "status": "valid",
                          "superseded_by": None}
    missing = _verify(api, approvals.secrets.token_urlsafe(24))
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


def test_a_change_supersedes_the_revision_and_the_next_has_the_same_number(api: Api) -> None:
    application = _approved(api)
    first = _token(_approval(api, application).json["verify_url"])
    with make_sessionmaker(api.engine)() as session, session.begin():
        row = session.get(Application, application["id"])
        assert row is not None
        approvals.supersede(session, row, datetime.now(UTC))
    current = _approval(api, application).json
    assert current["revision"] == 2 and current["status"] == "valid" and current["number"] == f"国合批〔{YEAR}〕1号"
    assert _verify(api, first).json["status"] == "superseded" and _verify(api, first).json["superseded_by"] == 2
    assert _token(current["verify_url"]) != first and _verify(api, _token(current["verify_url"])).json["revision"] == 2


def _cancel(api: Api, user: str, application: dict[str, Any], **body: Any) -> Any:
    return api.call(user, "POST", f"/api/v1/applications/{application['id']}/cancel", version=application["version"],
                    json=body)


def test_cancelling_needs_a_reason_and_cancels_the_document(api: Api) -> None:
    application = _approved(api)
    token = _token(_approval(api, application).json["verify_url"])
    for body in ({}, {"reason": "   "}):
        refused = _cancel(api, "prof.li", application, **body)
        assert refused.status_code == 422 and refused.content_type == "application/problem+json"
        assert "reason" in refused.json["errors"]
    assert _cancel(api, "coord.cs", application, reason="No.").status_code == 403  # a reviewer, not the office
    assert _cancel(api, "bob", application, reason="No.").status_code == 404
    assert _verify(api, token).json["status"] == "valid"
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.cancelled'") == 0
    cancelled = _cancel(api, "prof.li", application, reason="会议取消")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert _verify(api, token).json["status"] == "cancelled"
    assert _approval(api, application).json["cancel_reason"] == "会议取消"
    with api.engine.connect() as c:
        data = json.loads(c.scalar(text("SELECT body FROM outbox WHERE type = 'application.cancelled'")))["data"]
    assert data["reason"] == "会议取消" and data["approval_number"] == f"国合批〔{YEAR}〕1号"
    assert data["status"] == "cancelled" and data["cancelled_by"] == "prof.li"
    assert _cancel(api, "prof.li", application, reason="Again").status_code == 409


def test_only_an_approved_application_can_be_cancelled_and_the_office_may_too(api: Api) -> None:
    pending = _submitted(api)
    assert _cancel(api, "icd.officer", pending, reason="Plans changed.").status_code == 409
    approved = _approved(api)
    assert _cancel(api, "icd.officer", approved, reason="Plans changed.").status_code == 200


# -- the public page, on the embedded system ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("verify") / "var"),
                                  "MOBILITY_SMTP_PORT": "9", "MOBILITY_RATE_LIMIT_VERIFY": "20/minute"})
    system = Embedded(settings).start()
    yield system
    system.stop()


def _page_document(system: Embedded) -> tuple[str, dict[str, Any]]:
    """An approved staff trip of prof.li's on the embedded system, and its document's token."""
    client = system.gateway.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "prof.li", "password": "demo"}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    application = client.post("/api/v1/applications", json=example("faculty_exchange"), headers=headers).get_json()
    upload = client.post(f"/api/v1/applications/{application['id']}/documents", headers=headers,
                         data={"doc_type": "invitation_letter", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    submitted = client.post(f"/api/v1/applications/{application['id']}/submit", headers=headers,
                            json={"version": application["version"]}).get_json()
    sessions = make_sessionmaker(system.engines["applications"])
    for event in _events(submitted)[-1:]:
        with sessions() as session, session.begin():
            apply(worker.handlers(system.settings), session, event)
    with sessions() as session:
        document = approvals.current(session, application["id"])
        assert document is not None
        return document.token, {"application": submitted, "headers": headers}


def _page(system: Embedded, token: str, language: str = "en") -> Any:
    client: FlaskClient = system.gateway.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client.get(f"/verify/{token}")


def test_the_page_shows_a_valid_document_without_sign_in_and_nothing_more(system: Embedded) -> None:
    token, made = _page_document(system)
    page = _page(system, token)
    assert page.status_code == 200 and 'data-status="valid"' in page.text
    assert "〔" in page.text and "Li Wei" in page.text and "Italy" in page.text and "Valid" in page.text
    for private in ("Politecnico", "38000", "38,000", "China Scholarship Council", "prof.li", "joint"):
        assert private not in page.text, private
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    chinese = _page(system, token, "zh")
    assert "有效" in chinese.text and "意大利" in chinese.text


def test_the_page_shows_cancelled_and_superseded_documents_as_such(system: Embedded) -> None:
    superseded, _ = _page_document(system)
    with make_sessionmaker(system.engines["applications"])() as session, session.begin():
        document = approvals.by_token(session, superseded)
        assert document is not None
        row = session.get(Application, document.application_id)
        assert row is not None
        approvals.supersede(session, row, datetime.now(UTC))
    page = _page(system, superseded)
    assert 'data-status="superseded"' in page.text and "revision 2" in page.text
    assert "第 2 版" in _page(system, superseded, "zh").text
    cancelled, made = _page_document(system)
    client = system.gateway.test_client()
    response = client.post(f"/api/v1/applications/{made['application']['id']}/cancel", headers=made["headers"],
                           json={"reason": "The conference was called off.", "version": made["application"]["version"]})
    assert response.status_code == 200, response.get_json()
    page = _page(system, cancelled)
    assert 'data-status="cancelled"' in page.text and "Cancelled" in page.text
    assert "called off" not in page.text  # the reason is not for the public
    assert "已撤销" in _page(system, cancelled, "zh").text


def test_an_unknown_token_is_not_found_and_the_page_is_rate_limited(system: Embedded) -> None:
    for token in (approvals.secrets.token_urlsafe(24), "x", "not a token!"):
        page = _page(system, token)
        assert page.status_code == 404 and 'data-status="unknown"' in page.text, token
    limited = [_page(system, approvals.secrets.token_urlsafe(24)).status_code for _ in range(25)]
    assert 429 in limited


def test_a_groups_document_lists_every_member_and_every_stop() -> None:
    """The group form (members, an itinerary of several countries): what the document and its verification say."""
    form = {
        "category": "general", "purpose": "conference", "tasks": "参加国际会议并作报告",
        "start_date": "2031-05-10", "end_date": "2031-05-19", "funding_source": "科研经费", "budget": "90000.00",
        "members": [{"name": name, "school": "计算机学院", "post": post, "title": "教授", "leader": leader}
                    for name, post, leader in (("张伟", "院长", True), ("王芳", "教师", False),
                                               ("刘洋", "教师", False))],
        "itinerary": [
            {"country": "DE", "city": "Berlin", "institution": "TU Berlin", "arrival": "2031-05-10",
             "departure": "2031-05-14"},
            {"country": "FR", "city": "Paris", "institution": "Sorbonne", "arrival": "2031-05-14",
             "departure": "2031-05-19"},
        ],
    }
    application = Application(id=str(uuid.uuid4()), kind="faculty_exchange", applicant="prof.li",
                              applicant_name="Li Wei", school="cs", form=form, program=None)
    content = approvals.content_of(application)
    assert [m["name"] for m in content["members"]] == ["张伟", "王芳", "刘洋"]
    assert content["countries"] == ["DE", "FR"] and content["days"] == 10
    document = ApprovalDocument(number=f"国合批〔{YEAR}〕7号", revision=1, status="valid", superseded_by=None,
                                token="t", content={**content, "decided": None}, issued_at=datetime.now(UTC))
    assert approvals.verification(document)["names"] == ["张伟", "王芳", "刘洋"]
    body = approval_pdf.render(document, [], language="zh", verify_url="http://127.0.0.1:8000/verify/t",
                               font=SETTINGS.pdf_font, timezone=SETTINGS.timezone)
    words, fonts = _pdf_text_and_fonts(body)
    for expected in ("张伟（团长）", "王芳", "刘洋", "德国", "法国", "10 天", "90,000.00 元", "参加国际会议并作报告"):
        assert expected in words, expected
    assert all(_embedded(font) for font in fonts)


def test_tasks_longer_than_a_page_still_make_a_document() -> None:
    """The tasks may run to 5000 characters (the form's limit): their cell splits across pages."""
    form = {"category": "general", "purpose": "conference", "tasks": "参加国际会议并作报告。" * 500,
            "start_date": "2031-05-10", "end_date": "2031-05-19", "funding_source": "科研经费",
            "members": [{"name": "张伟", "school": "计算机学院", "post": "院长", "title": "教授", "leader": True}],
            "itinerary": [{"country": "DE", "city": "Berlin", "institution": "TU Berlin", "arrival": "2031-05-10",
                           "departure": "2031-05-19"}]}
    application = Application(id=str(uuid.uuid4()), kind="faculty_exchange", applicant="prof.li",
                              applicant_name="Li Wei", school="cs", form=form, program=None)
    document = ApprovalDocument(number=f"国合批〔{YEAR}〕8号", revision=1, status="valid", superseded_by=None,
                                token="t", content={**approvals.content_of(application), "decided": None},
                                issued_at=datetime.now(UTC))
    for language in ("zh", "en"):
        body = approval_pdf.render(document, [], language=language, verify_url="http://127.0.0.1:8000/verify/t",
                                   font=SETTINGS.pdf_font, timezone=SETTINGS.timezone)
        assert len(pypdf.PdfReader(io.BytesIO(body)).pages) > 1
