"""Single sign-on through an OpenID Connect provider (a real one, over HTTP): a verified e-mail links the
account once, the subject finds it afterwards, and nobody without an account gets in."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server

from chassis.settings import Settings
from gateway.models import User
from mobility.embedded import Embedded
from tests.support.oidc_provider import OidcProvider


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OidcProvider, str, Embedded]]:
    with OidcProvider() as provider:
        server = make_server("127.0.0.1", 0, lambda e, s: [], threaded=True)  # reserve the gateway's port
        port = server.server_port
        server.server_close()
        base = f"http://127.0.0.1:{port}"
        settings = Settings.from_env({
            "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("sso") / "var"), "MOBILITY_PUBLIC_BASE_URL": base,
            "MOBILITY_OIDC_ISSUER": provider.issuer, "MOBILITY_OIDC_CLIENT_ID": provider.client_id,
            "MOBILITY_OIDC_CLIENT_SECRET": provider.client_secret, "MOBILITY_SMTP_PORT": "9",
        })
        system = Embedded(settings).start()
        gateway = make_server("127.0.0.1", port, system.gateway, threaded=True)
        thread = threading.Thread(target=gateway.serve_forever, daemon=True)
        thread.start()
        yield provider, base, system
        gateway.shutdown()
        system.stop()


def _sso_login(base: str) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"
    login = browser.get(f"{base}/login")
    assert 'id="sso"' in login.text
    return browser, browser.get(f"{base}/login/sso")  # → provider → callback → home, following redirects


def test_a_verified_email_links_the_account_and_the_subject_finds_it_later(sso) -> None:  # type: ignore[no-untyped-def]
    provider, base, system = sso
    provider.next_user = {"sub": "u-20231234", "email": "Alice@demo.mobility.local", "email_verified": True}
    browser, landed = _sso_login(base)
    assert landed.status_code == 200 and "Alice Wang" in landed.text
    with system.gateway.extensions["gateway"].sessions() as db:
        assert db.get(User, "alice").oidc_subject == "u-20231234"

    provider.next_user = {"sub": "u-20231234", "email": "alice.new@university.example", "email_verified": True}
    again, landed = _sso_login(base)
    assert "Alice Wang" in landed.text  # found by subject although the e-mail changed


def test_no_account_or_an_unverified_email_does_not_get_in(sso) -> None:  # type: ignore[no-untyped-def]
    provider, base, _system = sso
    provider.next_user = {"sub": "u-stranger", "email": "stranger@university.example", "email_verified": True}
    browser, landed = _sso_login(base)
    assert "has no account here" in landed.text and 'id="username"' in landed.text
    assert browser.get(f"{base}/applications", allow_redirects=False).status_code == 302

    provider.next_user = {"sub": "u-fake-bob", "email": "bob@demo.mobility.local", "email_verified": False}
    browser, landed = _sso_login(base)
    assert "has no account here" in landed.text


def test_a_forged_callback_is_refused(sso) -> None:  # type: ignore[no-untyped-def]
    _provider, base, _system = sso
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"
    response = browser.get(f"{base}/login/sso/callback?code=made-up&state=made-up")
    assert "did not succeed" in response.text
    assert re.search(r'id="username"', response.text)
