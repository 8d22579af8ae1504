"""Must show (issue 19): the clerk's register in the browser, a hand-out with its slip, and a return. The passport
clerk enters prof.li's passport through the form, finds it in the register by a search, hands it out for his
approved trip (the custody rules let it go out 90 days ahead), downloads the slip (a PDF through the gateway) and
takes the passport back; the register, a passport and the import page, on a phone, pass axe in both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from mobility.embedded import Embedded
from tests.browser import journey
from tests.integration.test_change_request_pages import _approved_trip
from tests.support.api import Gateway
from tests.support.wait import until


@pytest.fixture(scope="module")
def leader(embedded_system: Embedded, embedded_gateway: Gateway) -> dict[str, Any]:
    """prof.li's approved group trip two months ahead: the leader's record; the rules let a passport go out 90
    days before a departure."""
    application_id = _approved_trip(embedded_system)

    def records() -> list[dict[str, Any]]:
        reply = embedded_gateway.call("prof.li", "GET", f"/api/v1/mobilities?application_id={application_id}")
        return [r for r in reply.json()["items"] if r["person"].get("role") == "leader"]

    rules = embedded_gateway.call("passport.clerk", "PUT", "/api/v1/passport-settings", json={
        "handout_days_before": 90, "return_days": 7, "remind_days_before": 3, "school_hold_after_days": 30,
        "school_hold": False})
    assert rules.status_code == 200, rules.text
    return until(records, what="the leader's mobility record")[0]  # type: ignore[no-any-return]


def _fill_date(page: Page, prefix: str, on: date) -> None:
    page.fill(f"#{prefix}-day", str(on.day))
    page.fill(f"#{prefix}-month", str(on.month))
    page.fill(f"#{prefix}-year", str(on.year))


def test_the_clerk_hands_a_passport_out_with_its_slip_and_takes_it_back(
        embedded_system: Embedded, embedded_gateway: Gateway, leader: dict[str, Any], browser: Browser,
        open_page: Callable[..., Page], shoot: Callable[[Page, str], None]) -> None:
    base = embedded_gateway.base_url
    person = leader["person"]
    today = datetime.now(ZoneInfo(embedded_system.settings.timezone)).date()
    page = open_page(viewport=journey.PHONE)
    journey.login(page, base, "passport.clerk", language="en")

    # the register from the menu, then a new passport through the form (a refusal first, in the error summary)
    page.click("#passports-link")
    expect(page.locator("h1")).to_have_text("Passports")
    page.click("#new-passport")
    page.click("#save-passport")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary a[href='#number']")).to_be_visible()
    page.fill("#holder_name", person["name"])
    page.fill("#staff_number", person["staff_number"])
    page.fill("#holder_username", "prof.li")
    page.select_option("#type", "official_passport")
    page.fill("#number", "PB 4433 2211")
    _fill_date(page, "expires_on", date.fromisoformat(leader["planned_end"]) + timedelta(days=3000))
    page.fill("#kept_at", "Safe 2, drawer 3")
    page.click("#save-passport")
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("#passport-status")).to_have_attribute("data-status", "in_custody")
    passport_url = page.url

    # the register: found by the holder's name, masked
    page.click("#passports-link")
    page.fill("#q", person["name"])
    page.locator("#register-filters button[type=submit]").click()
    row = page.locator("tr[data-passport]", has_text=person["name"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("••••2211")
    expect(page.locator("body")).not_to_contain_text("PB44332211")
    journey.fits(page)
    shoot(page, "register")

    # from the register to the import: its columns explained and an empty list to fill in, within a phone's width
    page.click("#import-link")
    page.locator("#csv-columns summary").click()
    expect(page.locator("#csv-columns dl")).to_be_visible()
    expect(page.locator("#csv-template")).to_have_attribute("href", "/passports/import/template.csv")
    journey.fits(page)
    shoot(page, "import")

    # the hand-out: the trip once the passports service has heard of it
    page.goto(passport_url)
    journey.reload_until(page, f"[data-trip='{leader['id']}'][data-can=yes]")
    shoot(page, "hand-out")
    page.select_option("#handout-trip", leader["id"])
    page.fill("#handed_to", person["name"])
    page.click("#hand-out")
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("#passport-status")).to_have_attribute("data-status", "handed_out")
    expect(page.locator("[data-handover=handed_out]")).to_have_count(1)
    journey.fits(page)
    shoot(page, "handed-out")

    # the slip, through the gateway, in both languages
    for lang in ("zh", "en"):
        href = page.locator(f"[data-loan] a[data-slip={lang}]").get_attribute("href")
        assert href is not None and "/slip" in href
        slip = page.request.get(base + href)
        assert slip.status == 200 and slip.headers["content-type"].startswith("application/pdf")
        assert slip.body().startswith(b"%PDF")

    # the return
    _fill_date(page, "return_on", today)
    page.click("#take-back")
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("#passport-status")).to_have_attribute("data-status", "in_custody")
    expect(page.locator("[data-handover=returned]")).to_have_count(1)
    expect(page.locator("[data-loan][data-returned=yes]")).to_have_count(1)
    shoot(page, "returned")

    # the passport's page and the register pass axe on a phone, in both languages
    path = passport_url.removeprefix(base)
    problems = [p for lang in ("zh", "en") for target in (path, "/passports", "/passports/import")
                for p in journey.axe_on_phone(browser, base, "passport.clerk", lang, target)]
    assert not problems, "\n".join(problems)
