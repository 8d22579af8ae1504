"""Words, not codes: the main pages, rendered in the Chinese UI for each demo role, show no internal codes in
their visible text (text nodes outside attributes, script and style): no status, kind or decision codes, no ISO
timestamps, no term codes ("2027-fall"), and no version numbers for applicants.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import requests

from mobility.embedded import Embedded
from tests.e2e.conftest import embedded_gateway, embedded_system  # noqa: F401 - fixtures
from tests.support import every_page
from tests.support.api import Gateway

CODES = {
    "status": r"\b(draft|submitted|in_review|changes_requested|approved|rejected|withdrawn)\b",
    "kind": r"\b(student_exchange|faculty_exchange|foreign_expert|hosted_event)\b",
    "decision": r"\b(approve|return|reject)\b",
    "ISO timestamp": r"\d{4}-\d\d-\d\dT\d\d:",
    "term": r"\b\d{4}-(spring|fall)\b",
}
APPLICANT_CODES = {"version": r"(Version|版本)\s*\d+"}
APPLICANTS = ("alice", "prof.li")
NAMES = every_page.seed_shape()
# Pages that show other text verbatim: the API reference, and the mails as they were sent (each in its recipient's
# language, so an English mail's words are not codes).
VERBATIM = ("api-docs", "admin-mail")
CASES = [(role, name) for role in every_page.ROLES for name in every_page.pages(role, NAMES) if name not in VERBATIM]


class _Text(HTMLParser):
    """The text a reader sees: data outside <script>, <style> and <template>; attribute values are not text."""

    HIDDEN = ("script", "style", "template")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in self.HIDDEN and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def codes_in(text: str, applicant: bool) -> list[str]:
    found = []
    for what, pattern in {**CODES, **(APPLICANT_CODES if applicant else {})}.items():
        for match in re.finditer(pattern, text):
            found.append(f"{what} {match.group(0)!r} in …{text[max(0, match.start() - 40):match.end() + 40]}…")
    return found


@pytest.fixture(scope="module")
def seeded(embedded_system: Embedded, embedded_gateway: Gateway) -> every_page.Seeded:  # noqa: F811 - imported
    return every_page.seed(embedded_system, embedded_gateway)


@pytest.fixture(scope="module")
def sessions(embedded_gateway: Gateway) -> dict[str, requests.Session]:  # noqa: F811
    """A signed-in browser session per role, switched to Chinese (some accounts are English by default)."""
    signed_in = {}
    for role in every_page.ROLES:
        http = requests.Session()
        http.trust_env = False
        http.headers["Accept-Language"] = "zh-CN"
        base = embedded_gateway.base_url
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get(f"{base}/login").text)
        assert token is not None
        reply = http.post(f"{base}/login", data={"username": role, "password": "demo", "csrf_token": token[1]})
        assert reply.ok, reply.text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', reply.text)
        assert token is not None
        assert http.post(f"{base}/language", data={"lang": "zh", "next": "/", "csrf_token": token[1]}).ok
        signed_in[role] = http
    return signed_in


def test_the_scan_sees_text_not_attributes_or_scripts() -> None:
    html = '<p data-status="draft" title="2027-fall">草稿 <script>var s = "approve";</script><b>批准</b></p>'
    assert visible_text(html) == "草稿 批准"
    assert codes_in(visible_text("<td>approve</td><td>版本 3</td>"), applicant=True) == [
        "decision 'approve' in …approve 版本 3…", "version '版本 3' in …approve 版本 3…"]


@pytest.mark.parametrize(("role", "page"), CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_chinese_pages_show_no_internal_codes(embedded_gateway: Gateway, seeded: every_page.Seeded,  # noqa: F811
                                              sessions: dict[str, requests.Session], role: str, page: str) -> None:
    path = every_page.pages(role, seeded)[page]
    reply = sessions[role].get(embedded_gateway.base_url + path)
    assert reply.status_code == 200, f"{path}: {reply.status_code}"
    assert 'lang="zh-CN"' in reply.text
    found = codes_in(visible_text(reply.text), applicant=role in APPLICANTS)
    assert not found, f"{role} {path}:\n" + "\n".join(found)
