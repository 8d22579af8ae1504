"""The page after a refused upload (413 too large, 415 wrong type) says what to do in words and leads back to
the application the visitor came from; a Referer from another site leads to the start page instead."""

from __future__ import annotations

import io

import pytest

from mobility.embedded import Embedded
from tests.integration.test_web_pages import alices_application, browser, csrf_of, system  # noqa: F401


@pytest.mark.parametrize(("language", "back", "advice"), [
    ("en", "Back to the application", "Make the file smaller"),
    ("zh", "返回申请", "请把文件变小"),
])
def test_a_too_large_upload_leads_back_to_the_application(system: Embedded, language: str,  # noqa: F811
                                                          back: str, advice: str) -> None:
    application_id = alices_application(system)
    client = browser(system, "alice", language)
    page = f"/applications/{application_id}"
    token = csrf_of(client.get(page).text)
    client.post("/language", data={"lang": language, "next": page, "csrf_token": token})  # alice's account is English
    too_large = b"%PDF-1.4\n" + b"0" * system.settings.max_request_bytes
    refused = client.post(f"{page}/documents", headers={"Referer": f"http://localhost{page}"},
                          data={"csrf_token": token, "doc_type": "transcript",
                                "file": (io.BytesIO(too_large), "big.pdf")})
    assert refused.status_code == 413
    assert f'href="{page}" id="back"' in refused.text and back in refused.text and advice in refused.text


def test_a_referer_from_elsewhere_leads_to_the_start_page(system: Embedded) -> None:  # noqa: F811
    client = browser(system, "alice")
    missing = client.get("/no-such-page", headers={"Referer": "https://evil.example/applications/x"})
    assert missing.status_code == 404
    assert 'href="/" id="back"' in missing.text and 'href="https://evil' not in missing.text
