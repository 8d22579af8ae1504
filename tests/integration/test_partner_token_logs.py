"""The partner's link token never reaches the logs (issue 20): the gateway's log of the call it forwards to the
placements service shows /api/v1/partner-answers/*** while the partner page /partner/nominations/<token> is
fetched, on the embedded system (every process's log lines captured at once).

The token is a real signature of the service's keyring over a nomination that does not exist: the page forwards
it all the same (the service is what refuses it), so every log line a real link would make is made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from chassis import tracing
from chassis.settings import Settings
from gateway.web import partner_pages
from mobility.embedded import Embedded
from services.placements import partner_links


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("partner-logs") / "var"),
                                  "MOBILITY_SMTP_PORT": "9", "MOBILITY_RATE_LIMIT_VERIFY": "200/minute"})
    system = Embedded(settings).start()
    yield system
    system.stop()


def _fetched(system: Embedded) -> tuple[str, list[dict[str, Any]]]:
    keyring = partner_links.load_secrets(partner_links.keys_file(system.settings))
    token = partner_links.sign(keyring, "00000000-0000-0000-0000-000000000000", partner_links.new_nonce())
    assert partner_pages.TOKEN.match(token)  # a token the page forwards, not one it refuses by its shape
    with capture_logs() as lines:
        page = system.gateway.test_client().get(f"/partner/nominations/{token}")
    assert page.status_code == 404  # the service's refusal: the request went all the way through
    return token, lines


def test_the_forwarded_call_is_logged_with_the_token_masked(system: Embedded) -> None:
    token, lines = _fetched(system)
    (forwarded,) = [line for line in lines if line["event"] == "gateway.forwarded"]
    assert forwarded["upstream"] == "placements" and forwarded["path"] == "/api/v1/partner-answers/***"
    assert token not in json.dumps(forwarded, default=str)


def test_no_log_line_holds_the_token(system: Embedded) -> None:
    token, lines = _fetched(system)
    assert lines and token not in json.dumps(lines, default=str)


@pytest.mark.parametrize(("path", "logged"), [
    ("/api/v1/partner-answers/abc.def-ghi_jkl", "/api/v1/partner-answers/***"),
    ("/api/v1/approvals/verify/Zx9-token", "/api/v1/approvals/verify/***"),
    ("/api/v1/nominations/1234", "/api/v1/nominations/1234"),
    ("/api/v1/partner-answers", "/api/v1/partner-answers"),
    ("/partner/nominations/abc.def", "/partner/nominations/***"),
    ("/verify/Zx9-token", "/verify/***"),
])
def test_loggable_masks_only_credentials(path: str, logged: str) -> None:
    assert tracing.loggable(path) == logged
