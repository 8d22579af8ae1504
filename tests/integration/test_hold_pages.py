"""A held applicant's submission on the pages (embedded system): the check-answers page shows each hold in the
reader's language (what is overdue, on which mobility, until when, and what clears it), answers 409 and makes
nothing. The holds and the service's 409 problem are tests/integration/test_holds.py."""

from __future__ import annotations

import io
import uuid

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from mobility.embedded import Embedded
from tests.integration.test_approval_documents import HANDLERS
from tests.integration.test_web_pages import browser, csrf_of, system, token_for  # noqa: F401
from tests.support.api import PDF, example


def _bobs_application(system: Embedded) -> str:  # noqa: F811
    client = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, 'bob')}"}
    created = client.post("/api/v1/applications", json=example("student_exchange"), headers=headers)
    assert created.status_code == 201, created.get_json()
    application_id = str(created.get_json()["id"])
    for doc_type in ("transcript", "language_certificate"):
        uploaded = client.post(f"/api/v1/applications/{application_id}/documents", headers=headers,
                               data={"doc_type": doc_type, "file": (io.BytesIO(PDF), "t.pdf")})
        assert uploaded.status_code == 201, uploaded.get_json()
    return application_id


def test_a_held_applicant_reads_the_hold_and_what_clears_it_in_chinese(system: Embedded) -> None:  # noqa: F811
    application_id = _bobs_application(system)
    hold = {"hold_id": str(uuid.uuid4()), "scope": "person", "username": "bob", "staff_number": None,
            "school": "cs", "reason": "report_overdue", "mobility_id": str(uuid.uuid4()),
            "title": "Semester at TU Munich", "due_on": "2027-06-01", "clears": "report_accepted"}
    with make_sessionmaker(system.engines["applications"])() as session, session.begin():
        apply(HANDLERS, session, envelope.new_event("mobility.hold_placed", "/services/mobilities",
                                                    hold["hold_id"], hold))
    bob = browser(system, "bob", language="zh-CN")
    check = bob.get(f"/applications/{application_id}/submit")
    refused = bob.post(f"/applications/{application_id}/submit", data={
        "csrf_token": csrf_of(check.text), "version": "1", "declaration_asked": "1", "declaration": "y"})
    assert refused.status_code == 409
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "您已被暂停提交申请" in summary and "Semester at TU Munich" in summary
    assert "出访报告逾期未交" in summary and "出访报告审核通过后即可提交" in summary and "2027年6月1日" in summary
    assert "on hold" not in summary and "report_overdue" not in summary
    assert 'data-status="draft"' in bob.get(f"/applications/{application_id}").text  # nothing was submitted
