"""Must show: the admin, in English and in Chinese, edits a program, builds a review chain with the editor
(a level with a condition from the registry, moved up a row), sees the preview in words, saves it, and sees a
bad value named by its level and label — all without JavaScript doing the work."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import journey
from tests.browser.test_every_page import AXE, RUN_AXE, SERIOUS
from tests.support.api import Gateway

CASES = [
    ("en", "en-US", "foreign_expert", "School coordinator (the applicant's school) decides within 4 days, only "
     "when the budget is over 20000 yuan", "Level 1 — Days to decide:"),
    ("zh", "zh-CN", "hosted_event", "学院外事秘书（申请人所在学院）在 4 天内决定，仅当预算超过 20000 元时",
     "第 1 级 — 决定期限（天）："),
]


@pytest.mark.parametrize(("lang", "locale", "kind", "sentence", "named"), CASES, ids=["english", "chinese"])
def test_the_admin_edits_a_program_and_builds_a_chain(
    embedded_gateway: Gateway, open_page: Callable[..., Page], shoot: Callable[[Page, str], None],
    lang: str, locale: str, kind: str, sentence: str, named: str,
) -> None:
    page = open_page(locale=locale)
    base = embedded_gateway.base_url
    journey.login(page, base, "admin", language=lang)

    page.goto(f"{base}/admin/programs")
    row = page.locator("tr[data-program]").first
    row.locator("details.edit summary").click()
    row.locator("input[name=name]").fill(f"Edited program ({lang})")
    row.locator("input[name=seats]").fill("12")
    shoot(page, "program-edit")
    row.locator("form button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("tr[data-program]", has_text=f"Edited program ({lang})")).to_contain_text("12")

    page.goto(f"{base}/admin/chains")
    page.locator(f"section[data-kind={kind}] a.button").click()
    last = page.locator("fieldset.level").last  # the empty row for a new level
    index = page.locator("fieldset.level").count() - 1
    last.locator(f"#role-{index}").select_option("school_coordinator")
    last.locator(f"#scope-{index}").select_option("school")
    last.locator(f"#days-{index}").fill("4")
    last.locator(f"#condition-{index}-0").select_option("budget_over")
    last.locator(f"#threshold-{index}-0").fill("20000")
    last.locator("button[value^=up-]").click()  # one row up: it now decides before the last stored level
    expect(page.locator("#chain-preview")).to_contain_text(sentence)
    page.locator("button[value=add]").click()
    expect(page.locator("fieldset.level")).to_have_count(index + 3)  # the new level, the empty row, one more
    shoot(page, "chain-preview")
    page.locator("button[value=save]").click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator(f"section[data-kind={kind}] .chain-preview")).to_contain_text(sentence)
    shoot(page, "chain-saved")

    page.locator(f"section[data-kind={kind}] a.button").click()
    page.locator("#days-0").fill("0")
    page.locator("button[value=save]").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(named)
    expect(summary).not_to_contain_text("levels.0")
    summary.locator("a[href='#days-0']").click()
    expect(page.locator("#days-0")).to_be_focused()
    expect(page.locator("#days-0")).to_have_attribute("aria-invalid", "true")
    shoot(page, "chain-error")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_admin_forms_fit_a_phone_and_pass_axe(embedded_gateway: Gateway, browser: Browser, lang: str) -> None:
    """The editor with an error, a program's and a user's edit form opened: at 375 px, no sideways scrolling
    and no serious axe-core violations (the sweep of every page opens none of these states)."""
    context = browser.new_context(locale="en-US" if lang == "en" else "zh-CN", bypass_csp=True,
                                  viewport={"width": 375, "height": 800})
    context.set_default_timeout(15_000)
    page, base, problems = context.new_page(), embedded_gateway.base_url, []
    journey.login(page, base, "admin", language=lang)

    def check(what: str) -> None:
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            problems.append(f"{what}: {width[0]} px wide in a {width[1]} px window")
        page.add_script_tag(path=str(AXE))
        problems.extend(f"{what}: axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                        for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS)

    page.goto(f"{base}/admin/chains/student_exchange")
    page.locator("#days-0").fill("0")
    page.locator("button[value=save]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check("chain editor with an error")
    for path, row in (("/admin/programs", "tr[data-program]"), ("/admin/users", "tr[data-user]")):
        page.goto(base + path)
        page.locator(f"{row} details.edit summary").first.click()
        check(path)
    context.close()
    assert not problems, "\n".join(problems)
