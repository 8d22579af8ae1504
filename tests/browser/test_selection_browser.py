"""Must show (issue 20), in Chromium on a phone-sized screen, once in Chinese and once in English (every actor in
that language): a school's coordinator scores their candidates in the grid (a refused cell reached from the error
summary), the ICD runs the allocation after its confirmation and nominates the student who accepted, the student
accepts the offer, and the partner answers on the signed link's page with an acceptance letter, without an account.

axe-core runs here on the states the every-page sweep (tests/browser/test_every_page.py, which reaches each
selection page in both languages at two widths) does not hold: the offer still open, the round with the nominate
button, another student's decline form, and the partner's page before its single use. It reuses the actors'
sessions (their cookies in a context with the CSP bypassed), so no extra sign-ins spend the sign-in rate limit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from mobility.embedded import Embedded
from tests.browser import journey
from tests.browser.test_every_page import AXE, RUN_AXE, SERIOUS
from tests.support.api import PDF, Gateway
from tests.support.selection import api, partner_link, seed

CONFIRM_RUN = {"zh": "确定进行名额分配吗？", "en": "Run the allocation?"}  # the catalog's words for the confirmation


def _axe(browser: Browser, base: str, lang: str, paths: list[str], as_: Page | None = None,
         user: str | None = None) -> list[str]:
    """axe's serious and critical violations on `paths`, on a phone, in the session of the page `as_` (its cookies
    copied), signed in as `user`, or anonymous."""
    state = as_.context.storage_state() if as_ is not None else None
    context = browser.new_context(locale=journey.BROWSER_LOCALES[lang], bypass_csp=True, viewport=journey.PHONE,
                                  storage_state=state)
    try:
        page = context.new_page()
        if user is not None:
            journey.login(page, base, user, language=lang)
        problems = []
        for path in paths:
            page.goto(base + path)
            page.add_script_tag(path=str(AXE))
            problems += [f"{path} ({lang}): axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                         for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]
        return problems
    finally:
        context.close()


@pytest.mark.parametrize("lang", sorted(journey.BROWSER_LOCALES))
def test_a_coordinator_scores_the_icd_allocates_and_nominates_the_student_accepts_the_partner_answers(
        embedded_system: Embedded, embedded_gateway: Gateway, browser: Browser, open_page: Callable[..., Page],
        shoot: Callable[[Page, str], None], tmp_path: Path, lang: str) -> None:
    base = embedded_gateway.base_url
    chosen = seed(embedded_system, name="Exchange 2032 spring")
    ids = chosen.candidates
    round_path = f"/selection/rounds/{chosen.round_id}"
    locale = journey.BROWSER_LOCALES[lang]

    # the coordinator, on a phone: the grid from the menu; a refused cell, reached from the summary
    coordinator = open_page(locale=locale, viewport=journey.PHONE)
    journey.login(coordinator, base, "coord.cs", language=lang)
    coordinator.click("#selection-link")
    coordinator.locator(f"tr[data-round='{chosen.round_id}'] a").click()
    coordinator.click("#scores-link")
    expect(coordinator.locator(f"#interview-{ids['chen']}")).to_have_count(0)  # another school's
    coordinator.fill(f"#interview-{ids['alice']}", "101")
    coordinator.fill(f"#interview-{ids['bob']}", "75")
    coordinator.click("#save-scores")
    expect(coordinator.locator(".error-summary")).to_be_visible()
    coordinator.locator(f".error-summary a[href='#interview-{ids['alice']}']").click()
    expect(coordinator.locator(f"#interview-{ids['alice']}")).to_be_focused()
    journey.fits(coordinator)
    shoot(coordinator, "grid-refused")
    coordinator.fill(f"#interview-{ids['alice']}", "95")
    coordinator.fill(f"#bonus-{ids['dana']}", "1.5")
    coordinator.click("#save-scores")
    expect(coordinator.locator(".flash.success")).to_be_visible()
    expect(coordinator.locator(f"#interview-{ids['alice']}")).to_have_value("95.00")
    shoot(coordinator, "grid-saved")

    # the ICD: the ranking, the allocation after its confirmation, the run with its waiting lists
    icd = open_page(locale=locale, viewport=journey.PHONE)
    journey.login(icd, base, "icd.officer", language=lang)
    icd.click("#selection-link")
    icd.locator(f"tr[data-round='{chosen.round_id}'] a").click()
    expect(icd.locator("#ranking tr[data-position='1']")).to_have_attribute("data-application", ids["alice"])
    journey.fits(icd)
    shoot(icd, "ranking")
    icd.click("#allocate-link")
    expect(icd.locator("[data-confirm] h1")).to_have_text(CONFIRM_RUN[lang])
    icd.click("#confirm")
    expect(icd.locator("#run-1")).to_be_visible()
    expect(icd.locator("#run-1 [data-partner] [data-placed]").first).to_be_visible()
    journey.fits(icd)
    shoot(icd, "run")

    # the student accepts the offer
    student = open_page(locale=locale, viewport=journey.PHONE)
    journey.login(student, base, "alice", language=lang)
    student.click("#offers-link")
    offer = student.locator("[data-offer][data-status=offered]")
    expect(offer).to_have_count(1)
    expect(offer.locator(".deadline")).to_be_visible()
    journey.fits(student)
    shoot(student, "offer")
    problems = _axe(browser, base, lang, ["/offers"], as_=student)  # the offer still open, its buttons
    offer_id = offer.get_attribute("data-offer")  # this round's (the other language's run left her one accepted)
    offer.locator("button[id^=accept-]").click()
    expect(student.locator(".flash.success")).to_be_visible()
    expect(student.locator(f"#offer-{offer_id}")).to_have_attribute("data-status", "accepted")

    # the ICD nominates her; the partner's contact gets the link
    icd.goto(base + round_path)
    problems += _axe(browser, base, lang, [round_path], as_=icd)  # the nominate button in the list
    icd.click(f"#nominate-{ids['alice']}")
    expect(icd.locator(".flash.success")).to_be_visible()
    expect(icd.locator("#nomination-list tr[data-status=nominated]")).to_have_count(1)
    shoot(icd, "nominated")
    nomination = api(embedded_system, "icd.officer", "GET", f"/api/v1/nominations?round_id={chosen.round_id}"
                     ).get_json()["items"][0]
    link = urlsplit(partner_link(embedded_system, nomination["id"]))
    partner_url = f"{base}{link.path}"

    # the partner's page passes axe before the answer (the link works once)
    problems += _axe(browser, base, lang, [link.path])

    # the partner answers on the link's page, no account, with an acceptance letter
    partner = open_page(locale=locale, viewport=journey.PHONE)
    partner.goto(partner_url)
    expect(partner.locator("#student-name")).to_have_text("Alice Wang")
    partner.check("input[name=decision][value=approve]")
    letter = tmp_path / "acceptance.pdf"
    letter.write_bytes(PDF)
    partner.set_input_files("#letter", str(letter))
    partner.locator("#form-partner-answer button[type=submit]").click()
    expect(partner.locator("#answer-recorded")).to_be_visible()
    journey.fits(partner)
    shoot(partner, "partner-answered")
    icd.goto(base + round_path)
    expect(icd.locator("#nomination-list tr[data-status=approved]")).to_have_count(1)

    # another student's decline form (the sweep's student has accepted hers)
    bob_offer = api(embedded_system, "bob", "GET", "/api/v1/offers?mine=1").get_json()["items"][0]["id"]
    problems += _axe(browser, base, lang, [f"/offers/{bob_offer}/decline"], user="bob")
    assert not problems, "\n".join(problems)
