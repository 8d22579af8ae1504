"""Must show: a teacher files a staff group trip (团组, kind faculty_exchange) in the browser, in English and in
Chinese, on a phone-sized screen: three members and two stops in two countries typed in with "Add another" (no
script), a general trip of 7 days within the office's limits, the invitation uploaded, checked and submitted.
The form page passes axe-core (no serious or critical violations) with its lists of items filled in, and fits the
screen. Screenshots go to var/screenshots/test_a_staff_group_trip_is_filed-<lang>/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import journey
from tests.support.api import PDF, Gateway

LANGS, PHONE = journey.BROWSER_LOCALES, journey.PHONE
START = date.today() + timedelta(days=60)  # beyond the general category's lead time
MEMBERS = (("Li Wei", "T0001", "yes"), ("Wang Fang", "T0002", "no"), ("Zhang Min", "T0003", "no"))
STOPS = (("DE", "Munich", "TU Munich", 0, 3), ("FR", "Paris", "Sorbonne University", 3, 6))


def _day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


def _add_another(page: Page, name: str, n: int) -> None:
    """Press "Add another" under a list: the draft is saved and the page comes back with item n to type in."""
    page.click(f"#{name}-add")
    expect(page.locator(f"#{name}-{n}")).to_be_visible()


def _fill_member(page: Page, n: int) -> None:
    name, staff_number, leader = MEMBERS[n]
    page.fill(f"#members-{n}-name", name)
    page.fill(f"#members-{n}-staff_number", staff_number)
    page.fill(f"#members-{n}-school", "Computer Science")
    page.fill(f"#members-{n}-post", "Professor")
    page.fill(f"#members-{n}-title", "Professor")
    page.select_option(f"#members-{n}-leader", leader)
    page.select_option(f"#members-{n}-abroad_status", "none")
    page.check(f"#members-{n}-declared")
    page.select_option(f"#members-{n}-passport_type", "official_passport")


def _fill_stop(page: Page, n: int) -> None:
    country, city, institution, arrival, departure = STOPS[n]
    page.fill(f"#itinerary-{n}-country", country)
    page.fill(f"#itinerary-{n}-city", city)
    page.fill(f"#itinerary-{n}-institution", institution)
    page.fill(f"#itinerary-{n}-arrival", _day(arrival))
    page.fill(f"#itinerary-{n}-departure", _day(departure))




@pytest.mark.parametrize("lang", sorted(LANGS))
def test_a_staff_group_trip_is_filed(embedded_gateway: Gateway, browser: Browser, open_page: Callable[..., Page],
                                     shoot: Callable[[Page, str], None], tmp_path: Path, lang: str) -> None:
    base = embedded_gateway.base_url
    page = open_page(locale=LANGS[lang], viewport=PHONE)
    journey.login(page, base, "prof.li", language=lang)
    page.goto(f"{base}/apply/faculty_exchange")
    assert not journey.axe_on_phone(browser, base, "prof.li", lang, "/apply/faculty_exchange")
    page.select_option("#category", "general")
    page.select_option("#purpose", "conference")
    page.fill("#tasks", "Present our paper at the workshop; plan joint research with both hosts.")
    page.fill("#start_date", _day(0))
    page.fill("#end_date", _day(6))  # 7 days, from leaving China to coming back: a 2-country general trip allows 8
    _fill_member(page, 0)
    shoot(page, "first-member")
    for n in (1, 2):
        _add_another(page, "members", n)
        _fill_member(page, n)
    _fill_stop(page, 0)
    _add_another(page, "itinerary", 1)
    _fill_stop(page, 1)
    page.fill("#inviter_institution", "TU Munich")
    page.fill("#inviter_description", "A partner university since 2015; the workshop's organiser invites us.")
    page.fill("#funding_source", "Research grant 2031-17")
    for line, amount in (("international_travel", "8000.00"), ("lodging", "6000.00"),
                         ("meals_incidentals", "3000.00"), ("other", "500.00")):
        page.fill(f"#budget_lines-{line}", amount)
    journey.fits(page)
    shoot(page, "form-filled")
    edit_path = page.url.removeprefix(base).split("?")[0].split("#")[0]
    page.click("button[name=action][value=save]")
    expect(page.locator("[data-status=draft]").first).to_be_visible()
    assert page.locator(".error-summary").count() == 0

    assert edit_path.endswith("/edit")
    # the form with its three members and two stops
    problems = journey.axe_on_phone(browser, base, "prof.li", lang, edit_path)
    assert not problems, "\n".join(problems)

    pdf = tmp_path / "invitation.pdf"
    pdf.write_bytes(PDF)
    page.select_option("#document_type", "invitation_letter")
    page.set_input_files("#file", str(pdf))
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()

    page.click("#check-answers")
    members = page.locator("[data-field=members] ol.entries > li")
    expect(members).to_have_count(3)
    expect(page.locator("[data-field=itinerary] ol.entries > li")).to_have_count(2)
    expect(page.locator("[data-field=itinerary]")).to_contain_text("(FR)")
    journey.fits(page)
    shoot(page, "check-answers")
    page.check("#declaration")
    page.click("#submit-application")
    expect(page.locator("h1 ~ p [data-status=submitted]")).to_be_visible()
    expect(page.locator("ol.entries").first.locator("> li")).to_have_count(3)
    shoot(page, "submitted")
