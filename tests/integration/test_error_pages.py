"""The page after a refused upload (413 too large, 415 wrong type) says what to do in words and leads back to
the application the visitor came from; a Referer from another site leads to the start page instead."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from chassis.settings import Settings
from mobility.embedded import Embedded
from tests.integration.test_web_pages import alices_application, browser, csrf_of


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("errors") / "var"),
                                  "MOBILITY_SMTP_PORT": "9", "MOBILITY_MAX_REQUEST_BYTES": "65536"})
    system = Embedded(settings).start()
    yield system
    system.stop()


@pytest.mark.parametrize(("language", "back", "advice"), [
    ("en", "Back to the application", "Make the file smaller"),
    ("zh", "返回申请", "请把文件变小"),
])
def test_a_too_large_upload_leads_back_to_the_application(system: Embedded, language: str, back: str,
                                                          advice: str) -> None:
    application_id = alices_application(system)
    client = browser(system, "alice", language)
    page = f"/applications/{application_id}"
    token = csrf_of(client.get(page).text)
    client.post("/language", data={"lang": language, "next": page, "csrf_token": token})  # alice's account is English
    refused = client.post(f"{page}/documents", headers={"Referer": f"http://localhost{page}"},
                          data={"csrf_token": token, "doc_type": "transcript",
                                "file": (io.BytesIO(b"%PDF-1.4\n" + b"0" * 100_000), "big.pdf")})
    assert refused.status_code == 413
    assert f'href="{page}" id="back"' in refused.text and back in refused.text and advice in refused.text


def test_a_referer_from_elsewhere_leads_to_the_start_page(system: Embedded) -> None:
    client = browser(system, "alice")
    missing = client.get("/no-such-page", headers={"Referer": "https://evil.example/applications/x"})
    assert missing.status_code == 404
    assert 'href="/" id="back"' in missing.text and 'href="https://evil' not in missing.text
