"""A newcomer's embedded run: the mail catcher and the admins' "Mail sent" page, the favicon, and the
university's name and logo from the settings (neutral without them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chassis.settings import Settings
from mobility.embedded import Embedded
from tests.integration.test_web_pages import alices_application, browser, token_for
from tests.support.wait import until

LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'


def newcomer_settings(root: Path) -> Settings:
    """Mail caught, and a university's name in both languages and logo, under `root`."""
    (root / "logo.svg").write_bytes(LOGO)
    return Settings.from_env({
        "MOBILITY_VAR_DIR": str(root / "var"), "MOBILITY_SMTP_HOST": "catch",
        "MOBILITY_RATE_LIMIT_LOGIN": "1000/minute", "MOBILITY_UNIVERSITY_NAME": "示例大学",
        "MOBILITY_UNIVERSITY_NAME_EN": "Example University", "MOBILITY_LOGO_FILE": str(root / "logo.svg")})


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    system = Embedded(newcomer_settings(tmp_path_factory.mktemp("newcomer"))).start()
    yield system
    system.stop()


def test_caught_mail_is_listed_for_admins_only(system: Embedded) -> None:
    application_id = alices_application(system, with_documents=True)
    client = system.gateway.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, 'alice')}"}
    submitted = client.post(f"/api/v1/applications/{application_id}/submit", json={"version": 1}, headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    admin = browser(system, "admin")
    # The row appears when the notification is written and is marked sent by the sender a moment later: wait
    # for the sent row itself, not the first sight of the address (a race a loaded machine lost).
    page = until(lambda: (p := admin.get("/admin/mail")).status_code == 200
                 and "alice@demo.mobility.local" in p.text and 'data-status="sent"' in p.text and p, timeout=30)
    assert "Sent" in page.text
    assert "/admin/mail" in admin.get("/admin").text
    for who in ("alice", "icd.officer", "coord.cs"):
        assert browser(system, who).get("/admin/mail").status_code in (302, 403), who


def test_the_header_carries_the_universitys_name_and_logo_in_each_language(system: Embedded) -> None:
    assert "Example University" in browser(system, "alice", "en").get("/applications").text
    chinese = browser(system, "bob", "zh").get("/applications").text
    assert "示例大学" in chinese and 'src="/brand/logo"' in chinese
    logo = system.gateway.test_client().get("/brand/logo")
    assert logo.status_code == 200 and logo.data == LOGO


def test_the_favicon_is_linked_and_served(system: Embedded) -> None:
    client = system.gateway.test_client()
    assert 'rel="icon"' in client.get("/login").text
    assert client.get("/static/favicon.svg").status_code == 200
    redirected = client.get("/favicon.ico")
    assert redirected.status_code == 301 and redirected.headers["Location"].endswith("/static/favicon.svg")

