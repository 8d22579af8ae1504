"""Must show: every page each demo role reaches, at 375 px (a phone) and 1280 px, in Chinese and English:
no sideways scrolling (`scrollWidth` within the viewport) and no serious or critical axe-core violations.
A screenshot of each is saved as var/screenshots/<role>-<page>-<lang>-<width>.png.

axe-core is vendored for the tests only (tests/browser/vendor/axe.min.js, from `npm pack axe-core`; the app
never serves it). Injecting it is an inline script, which the pages' CSP forbids, so it runs in a second
context with `bypass_csp`; the width and the screenshot come from a context with the CSP in force.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from mobility.embedded import Embedded
from tests.browser import journey
from tests.browser.conftest import SCREENSHOTS
from tests.support import every_page
from tests.support.api import Gateway

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WIDTHS = (375, 1280)
LANGS = {"zh": "zh-CN", "en": "en-US"}
SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture(scope="module")
def seeded(embedded_system: Embedded, embedded_gateway: Gateway) -> every_page.Seeded:
    return every_page.seed(embedded_system, embedded_gateway)


@pytest.fixture
def signed_in(browser: Browser, embedded_gateway: Gateway) -> Iterator[callable]:  # type: ignore[valid-type]
    contexts: list[BrowserContext] = []

    def open_as(role: str, lang: str, bypass_csp: bool = False) -> Page:
        context = browser.new_context(locale=LANGS[lang], bypass_csp=bypass_csp,
                                      viewport={"width": WIDTHS[0], "height": 800})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        journey.login(page, embedded_gateway.base_url, role, language=lang)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _check(page: Page, checked: Page, url: str, shot: Path) -> list[str]:
    """The problems of one page at the viewport `page` has: sideways scrolling, then axe's serious ones."""
    problems = []
    page.goto(url)
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        problems.append(f"{width[0]} px wide in a {width[1]} px window")
    page.screenshot(path=str(shot), full_page=True)
    checked.goto(url)
    if checked.evaluate("() => typeof axe") == "undefined":
        checked.add_script_tag(path=str(AXE))
    for v in checked.evaluate(RUN_AXE):
        if v["impact"] in SERIOUS:
            problems.append(f"axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}")
    return problems


@pytest.mark.parametrize("lang", sorted(LANGS))
@pytest.mark.parametrize("role", every_page.ROLES)
def test_every_page_fits_a_phone_and_passes_axe(embedded_gateway: Gateway, seeded: every_page.Seeded,
                                               signed_in: callable, role: str, lang: str) -> None:  # type: ignore[valid-type]
    page, checked = signed_in(role, lang), signed_in(role, lang, bypass_csp=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in WIDTHS:
        for p in (page, checked):
            p.set_viewport_size({"width": width, "height": 800})
        for name, path in every_page.pages(role, seeded).items():
            shot = SCREENSHOTS / f"{role}-{name}-{lang}-{width}.png"
            problems += [f"{name} ({path}) at {width}: {p}" for p in
                         _check(page, checked, embedded_gateway.base_url + path, shot)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_the_sign_in_and_error_pages_fit_a_phone_and_pass_axe(embedded_gateway: Gateway, browser: Browser,
                                                              lang: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in WIDTHS:
        viewport = {"width": width, "height": 800}
        page = browser.new_context(locale=LANGS[lang], viewport=viewport).new_page()
        checked = browser.new_context(locale=LANGS[lang], viewport=viewport, bypass_csp=True).new_page()
        for name, path in {"login": "/login", "not-found": "/no-such-page"}.items():
            shot = SCREENSHOTS / f"visitor-{name}-{lang}-{width}.png"
            problems += [f"{name} at {width}: {p}" for p in
                         _check(page, checked, embedded_gateway.base_url + path, shot)]
        page.context.close()
        checked.context.close()
    assert not problems, "\n".join(problems)


def test_the_application_page_prints_without_navigation_or_buttons(embedded_gateway: Gateway,
                                                                   seeded: every_page.Seeded,
                                                                   signed_in: callable) -> None:  # type: ignore[valid-type]
    page = signed_in("alice", "en")
    page.goto(embedded_gateway.base_url + every_page.pages("alice", seeded)["application"])
    page.emulate_media(media="print")
    assert page.locator("h1").is_visible()
    assert not page.locator("header.top").is_visible()
    assert page.locator("main button:visible, main .button:visible").count() == 0
    page.pdf(path=str(SCREENSHOTS / "alice-application-en-print.pdf"))
