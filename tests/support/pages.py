"""Reading a page the gateway rendered, as a test asserts on it: its words without the markup, and the error
summary's links (GOV.UK-style: each names a field by its label and points at it). Shared by the page tests of
agreements, passports and the selection (tests/integration/test_*_pages.py)."""

from __future__ import annotations

import html
import re


def error_summary(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (href, text)."""
    box = page.split('class="error-summary"', 1)
    assert len(box) == 2, "no error summary on the page"
    return [(href, html.unescape(re.sub(r"<[^>]+>", "", text)))
            for href, text in re.findall(r'<li><a href="([^"]+)">(.*?)</a></li>', box[1].split("</ul>", 1)[0])]


def page_text(page: str) -> str:
    """The page's words, tags dropped and white space folded (so a phrase split across elements still matches)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
