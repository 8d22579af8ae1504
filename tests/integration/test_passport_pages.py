"""The passport register's pages on the embedded system, against the real passports service through the gateway:
the clerk's register and its filters, a new passport refused field by field (the page's checks and the service's,
a duplicate number), the clerk's look at a whole number (a POST, shown once, audited, never cached), a hand-out for
the holder's approved trip (refused in words while too early, then allowed by the custody rules page) with its slip
and its return, the CSV import with its line errors and nothing saved, the audit log and its CSV. The holder sees
their own passport and slip under "My passports"; another user finds nothing (404).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration.test_change_request_pages import _approved_trip
from tests.integration.test_group_trip_pages import speaking
from tests.integration.test_web_pages import browser, csrf_of, system, token_for  # noqa: F401
from tests.support.pages import error_summary, page_text
from tests.support.wait import until

NUMBER = "E12345678"


def _today(system: Embedded) -> date:  # noqa: F811
    return datetime.now(ZoneInfo(system.settings.timezone)).date()


def _date(on: date, prefix: str) -> dict[str, str]:
    return {f"{prefix}-day": str(on.day), f"{prefix}-month": str(on.month), f"{prefix}-year": str(on.year)}


def _api(system: Embedded, username: str, method: str, path: str, **kwargs: Any) -> Any:  # noqa: F811
    client = system.gateway.test_client()
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token_for(client, username)}"},
                       **kwargs)


def _register(system: Embedded) -> list[dict[str, Any]]:  # noqa: F811
    return _api(system, "passport.clerk", "GET", "/api/v1/passports").get_json()["items"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def clerk(system: Embedded) -> FlaskClient:  # noqa: F811
    return speaking(browser(system, "passport.clerk"), "en")


@pytest.fixture(scope="module")
def leader(system: Embedded) -> Iterator[dict[str, Any]]:  # noqa: F811
    """prof.li's approved group trip, two months ahead: the leader's mobility record (his name, staff number)."""
    application_id = _approved_trip(system)

    def records() -> list[dict[str, Any]]:
        reply = _api(system, "prof.li", "GET", f"/api/v1/mobilities?application_id={application_id}")
        return [r for r in reply.get_json()["items"] if r["person"].get("role") == "leader"]

    yield until(records, what="the leader's mobility record")[0]


def _new(clerk: FlaskClient, **values: str) -> Any:
    page = clerk.get("/passports/new")
    assert page.status_code == 200
    return clerk.post("/passports/new", data={"csrf_token": csrf_of(page.text), **values})


def _entered(clerk: FlaskClient, holder: dict[str, Any], number: str, expires: date) -> str:
    """A passport entered through the form; its id (from the page it redirects to)."""
    made = _new(clerk, holder_name=holder["name"], staff_number=holder["staff_number"], type="official_passport",
                number=number, holder_username=holder.get("username", ""), kept_at="Safe 2, drawer 3",
                **_date(expires, "expires_on"))
    assert made.status_code == 302, page_text(made.text)[:2000]
    return made.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def test_the_clerk_enters_a_passport_refused_field_by_field_then_sees_it_in_the_register(
        system: Embedded, clerk: FlaskClient) -> None:  # noqa: F811
    register = clerk.get("/passports")
    assert register.status_code == 200 and 'id="passports-link"' in register.text
    assert 'id="new-passport"' in register.text and 'id="import-link"' in register.text

    # a form without its CSRF token is refused
    assert clerk.post("/passports/new", data={"holder_name": "X"}).status_code == 400

    blank = _new(clerk)
    assert blank.status_code == 422
    assert [href for href, _ in error_summary(blank.text)] == [
        "#holder_name", "#staff_number", "#type", "#number", "#expires_on-day"]
    assert error_summary(blank.text)[-1] == ("#expires_on-day", "Enter the expiry date.")  # which of the two dates
    assert 'aria-invalid="true"' in blank.text
    unreal = _new(clerk, holder_name="Zhao Min", staff_number="T9001", type="official_passport", number="E1234567",
                  **{"expires_on-day": "31", "expires_on-month": "2", "expires_on-year": "2031", "issued_on-day": "1"})
    assert [text for _, text in error_summary(unreal.text)] == [
        "Date of issue: The date must include a month.", "Expiry date: Enter a real date."]

    # the service's own check: the number (422), what was typed shown again
    expires = _today(system) + timedelta(days=3650)
    person = {"name": "Zhao Min", "staff_number": "T9001"}
    bad = _new(clerk, holder_name=person["name"], staff_number=person["staff_number"], type="service_passport",
               number="E1", **_date(expires, "expires_on"))
    assert bad.status_code == 422
    assert ("#number", "5 to 20 letters and digits (spaces and hyphens are ignored).") in error_summary(bad.text)
    assert {href for href, _ in error_summary(bad.text)} == {"#number"}
    assert 'value="Zhao Min"' in bad.text
    assert not [p for p in _register(system) if p["staff_number"] == "T9001"]

    passport_id = _entered(clerk, person, "g 7700 1122", expires)
    page = clerk.get(f"/passports/{passport_id}")
    assert page.status_code == 200 and "The passport is entered in the register." in page.text
    text = page_text(page.text)
    assert "Official passport" in text and "••••1122" in text and "Safe 2, drawer 3" in text
    assert "In the office" in text and "G77001122" not in page.text

    # the same type and number again: 409 in words at the number
    again = _new(clerk, holder_name="Someone Else", staff_number="T9002", type="official_passport",
                 number="G77001122", **_date(expires, "expires_on"))
    assert again.status_code == 409
    assert error_summary(again.text) == [
        ("#number", "There is already a “Official passport” with this number in the register.")]

    listed = page_text(clerk.get("/passports?q=Zhao").text)
    assert "Zhao Min" in listed and "••••1122" in listed
    assert "Zhao Min" not in page_text(clerk.get("/passports?status=handed_out").text)
    _entered(clerk, {"name": "Qin Shu", "staff_number": "T9003"}, "E77001133", _today(system) + timedelta(days=100))
    soon = page_text(clerk.get("/passports?soon=1").text)
    assert "Qin Shu" in soon and "Zhao Min" not in soon
    assert "Zhao Min" not in page_text(clerk.get("/passports?overdue=1").text)

    # the clerk changes where it is kept and declares it lost; a change made meanwhile by someone else is refused
    edit = clerk.get(f"/passports/{passport_id}/edit")
    assert edit.status_code == 200 and 'value="Safe 2, drawer 3"' in edit.text
    typed = {"csrf_token": csrf_of(edit.text), "version": re.search(r'name="version" value="(\d+)"', edit.text)[1],
             "kept_at": "Safe 4", "status": "lost", **_date(expires, "expires_on")}
    saved = clerk.post(f"/passports/{passport_id}/edit", data=typed, follow_redirects=True)
    assert "The passport's details are saved." in page_text(saved.text) and 'data-status="lost"' in saved.text
    assert "Safe 4" in saved.text
    stale = clerk.post(f"/passports/{passport_id}/edit", data={**typed, "kept_at": "Safe 5"})
    assert stale.status_code == 409 and error_summary(stale.text)[0][1].startswith("Someone changed this passport")
    assert 'value="Safe 5"' in stale.text  # what was typed stays
    assert "Safe 5" not in clerk.get(f"/passports/{passport_id}").text
    assert browser(system, "icd.officer").get(f"/passports/{passport_id}/edit").status_code == 403

    # Chinese: the type and status in words
    zh = speaking(browser(system, "passport.clerk"), "zh")
    assert "因公护照" in zh.get(f"/passports/{passport_id}").text
    speaking(zh, "en")  # the language is the account's: the other tests read English


def test_the_clerk_looks_at_the_whole_number_once_and_the_look_is_audited(
        system: Embedded, clerk: FlaskClient) -> None:  # noqa: F811
    expires = _today(system) + timedelta(days=2000)
    passport_id = _entered(clerk, {"name": "Sun Li", "staff_number": "T9100"}, NUMBER, expires)
    path = f"/passports/{passport_id}"
    page = clerk.get(path)
    assert NUMBER not in page.text and 'id="show-number"' in page.text
    assert clerk.post(f"{path}/number").status_code == 400  # no CSRF token
    shown = clerk.post(f"{path}/number", data={"csrf_token": csrf_of(page.text)})
    assert shown.status_code == 200 and NUMBER in shown.text
    assert "no-store" in shown.headers["Cache-Control"]
    assert NUMBER not in clerk.get(path).text  # once: the next GET shows it masked

    officer = browser(system, "icd.officer")
    assert officer.get(path).status_code == 200 and 'id="show-number"' not in officer.get(path).text
    token = csrf_of(officer.get(path).text)
    assert officer.post(f"{path}/number", data={"csrf_token": token}).status_code == 403

    audit = clerk.get("/passports/audit?action=viewed_number")
    assert audit.status_code == 200 and "Whole number viewed" in audit.text
    assert f'data-passport="{passport_id}"' in audit.text and NUMBER not in audit.text
    csv = clerk.get("/passports/audit.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"] and NUMBER not in csv.get_data(as_text=True)
    assert officer.get("/passports/audit").status_code == 403
    assert "Audit log exported" in clerk.get("/passports/audit").text
    assert clerk.get("/passports/audit.csv?action=viewed_number").status_code == 200
    exported = page_text(clerk.get("/passports/audit?action=exported").text)
    assert "Filters: Action: Whole number viewed" in exported


def test_a_hand_out_for_the_holders_trip_with_its_slip_and_the_return(
        system: Embedded, clerk: FlaskClient, leader: dict[str, Any]) -> None:  # noqa: F811
    person = leader["person"]
    trip_end = date.fromisoformat(leader["planned_end"])
    passport_id = _entered(clerk, {"name": person["name"], "staff_number": person["staff_number"],
                                   "username": "prof.li"}, "PE5566778", trip_end + timedelta(days=3000))
    path = f"/passports/{passport_id}"

    def offered() -> str | None:
        page = clerk.get(path).text
        return page if f'data-trip="{leader["id"]}"' in page else None

    page = until(offered, what="the trip on the passport's page")
    # two months ahead: too early, said in words, and nothing to choose
    assert f'data-trip="{leader["id"]}" data-can="no"' in page
    assert "Too early: this passport may be handed out from" in page_text(page)
    # no trip to choose: the page says so and where the window is set, instead of a form that can only fail
    assert 'id="none-eligible"' in page and 'id="hand-out"' not in page and 'href="/passports/settings"' in page
    # a trip still to come is listed first (trips over or cancelled, none here, would be folded below it)
    assert f'id="trips"><li data-trip="{leader["id"]}"' in re.sub(r">\s+<", "><", page)
    assert '<details id="trips-over">' not in page
    token = csrf_of(page)
    early = clerk.post(f"{path}/handout", data={"csrf_token": token, "trip": leader["id"]})
    assert early.status_code == 409 and error_summary(early.text)[0][0] == "#handout-trip"
    assert error_summary(early.text)[0][1].startswith("Too early: this passport may be handed out from")
    none = clerk.post(f"{path}/handout", data={"csrf_token": token})
    assert none.status_code == 422
    assert error_summary(none.text) == [("#handout-trip", "Choose the trip the passport goes out for.")]

    # the custody rules page: a passport may go out 90 days ahead
    rules = clerk.get("/passports/settings")
    assert rules.status_code == 200 and 'value="5"' in rules.text
    wrong = clerk.post("/passports/settings", data={"csrf_token": csrf_of(rules.text), "handout_days_before": "9x",
                                                    "return_days": "7", "remind_days_before": "3",
                                                    "school_hold_after_days": "30"})
    assert wrong.status_code == 422 and error_summary(wrong.text)[0][0] == "#handout_days_before"
    saved = clerk.post("/passports/settings", data={
        "csrf_token": csrf_of(rules.text), "handout_days_before": "90", "return_days": "7",
        "remind_days_before": "3", "school_hold_after_days": "30"}, follow_redirects=True)
    assert "The custody rules are saved." in saved.text and 'value="90"' in saved.text

    page = clerk.get(path).text
    assert f'data-trip="{leader["id"]}" data-can="yes"' in page
    assert 'id="none-eligible"' not in page and 'id="hand-out"' in page
    future = clerk.post(f"{path}/handout", data={"csrf_token": token, "trip": leader["id"],
                                                  **_date(_today(system) + timedelta(days=3), "handout_on")})
    assert future.status_code in (409, 422) and error_summary(future.text)[0][0] in ("#handout_on-day", "#handout-trip")
    assert _api(system, "passport.clerk", "GET", f"/api/v1/passports/{passport_id}").get_json()["status"] \
        == "in_custody"

    out = clerk.post(f"{path}/handout", data={"csrf_token": token, "trip": leader["id"], "handed_to": "Li Wei's "
                                              "assistant"}, follow_redirects=True)
    assert out.status_code == 200 and "The passport is handed out." in out.text
    text = page_text(out.text)
    assert "Handed out" in text and "Li Wei's assistant" in text and 'id="take-back"' in out.text
    assert "by Passport Clerk" in text and "by passport.clerk" not in text  # the clerk by name, not username
    slip_links = re.findall(r'href="([^"]+/slip\?lang=(?:zh|en))"', out.text)
    assert len(slip_links) == 2
    assert "data-trip-link" not in out.text  # the clerk may not open a trip's record: no link to "not found"
    officer = browser(system, "icd.officer").get(path).text
    assert f'href="/mobilities/{leader["id"]}" data-trip-link' in officer  # the office opens the trip from the loan
    slip = clerk.get(html.unescape(slip_links[0]))
    assert slip.status_code == 200 and slip.mimetype == "application/pdf" and slip.data.startswith(b"%PDF")

    # the holder sees it under "My passports", with the slip; another user finds nothing
    li = speaking(browser(system, "prof.li"), "en")
    mine = li.get("/passports")
    assert mine.status_code == 200 and "My passports" in mine.text and f'data-passport="{passport_id}"' in mine.text
    assert "Enter a passport" not in mine.text and 'id="register-filters"' not in mine.text
    own = li.get(path)
    assert own.status_code == 200 and 'id="show-number"' not in own.text and 'id="hand-out"' not in own.text
    assert 'href="/mobilities" data-trip-link' in own.text  # the holder: to their own trips
    assert li.get(html.unescape(slip_links[1])).mimetype == "application/pdf"
    alice = browser(system, "alice")
    assert alice.get(path).status_code == 404
    assert alice.get(html.unescape(slip_links[0])).status_code == 404
    assert passport_id not in alice.get("/passports").text
    assert li.get("/passports/new").status_code == 403

    # the return: a day still to come is refused, then today
    token = csrf_of(out.text)
    later = clerk.post(f"{path}/return", data={"csrf_token": token,
                                               **_date(_today(system) + timedelta(days=2), "return_on")})
    assert later.status_code in (409, 422) and error_summary(later.text)[0][0] == "#return_on-day"
    back = clerk.post(f"{path}/return", data={"csrf_token": token}, follow_redirects=True)
    assert back.status_code == 200 and "The passport is back in the office." in back.text
    assert 'data-handover="handed_out"' in back.text and 'data-handover="returned"' in back.text
    assert 'data-returned="yes"' in back.text and "In the office" in page_text(back.text)

    # the audit log in Chinese: its details with Chinese punctuation, no "days overdue: 0" on a timely return
    zh = speaking(browser(system, "passport.clerk"), "zh")
    audit = page_text(zh.get("/passports/audit?action=handed_out").text)
    assert "应交回日期：" in audit and "；领取人：" in audit and "Li Wei's assistant" in audit
    assert "逾期天数" not in page_text(zh.get("/passports/audit?action=returned").text)
    assert "经办人 Passport Clerk，" in page_text(zh.get(path).text)  # a handover's "recorded by …, <when>"
    speaking(zh, "en")


def test_an_import_with_bad_lines_lists_each_and_saves_nothing(system: Embedded, clerk: FlaskClient) -> None:  # noqa: F811
    header = "holder_name,staff_number,username,school,type,number,issued_on,expires_on,kept_at\n"
    bad = (header + "Qian Yu,T9300,,cs,official_passport,E30000001,2024-01-01,2034-01-01,Safe 1\n"
           "Wu Fang,T9301,,cs,official_passport,E3,2024-01-01,2034-01-01,Safe 1\n"
           "Zheng He,T9302,,cs,no_such_type,E30000003,2024-01-01,2034-01-01,Safe 1\n")
    page = clerk.get("/passports/import")
    assert page.status_code == 200 and 'id="csv-header"' in page.text
    assert 'id="csv-columns"' in page.text and "cs School of Computer Science" in page_text(page.text)
    blank_list = clerk.get("/passports/import/template.csv")
    assert blank_list.status_code == 200 and "attachment" in blank_list.headers["Content-Disposition"]
    assert blank_list.get_data(as_text=True) == "\ufeff" + header.replace("\n", "\r\n")  # Excel reads it as UTF-8
    assert browser(system, "icd.officer").get("/passports/import/template.csv").status_code == 403
    token = csrf_of(page.text)
    empty = clerk.post("/passports/import", data={"csrf_token": token})
    assert empty.status_code == 422 and error_summary(empty.text) == [("#file", "Choose the CSV file to import.")]
    before = len(_register(system))
    refused = clerk.post("/passports/import", content_type="multipart/form-data",
                         data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "list.csv")})
    assert refused.status_code == 422
    assert error_summary(refused.text) == [("#file", "2 line(s) of the file have errors; nothing was imported.")]
    lines = [page_text(line) for line in re.findall(r'<li data-line="\d+">(.*?)</li>', refused.text)]
    assert lines == ["Line 3: Number — 5 to 20 letters and digits (spaces and hyphens are ignored).",
                     "Line 4: Type — Choose one of the four types."]
    assert len(_register(system)) == before
    zh = speaking(browser(system, "passport.clerk"), "zh")
    in_chinese = zh.post("/passports/import", content_type="multipart/form-data",
                         data={"csrf_token": csrf_of(zh.get("/passports/import").text),
                               "file": (io.BytesIO(bad.encode()), "list.csv")})
    assert "第 3 行：证件号码 — " in page_text(in_chinese.text)  # Chinese punctuation, the column in words
    speaking(zh, "en")

    good = header + "Qian Yu,T9300,,cs,official_passport,E30000001,2024-01-01,2034-01-01,Safe 1\n" \
                    "Wu Fang,T9301,,cs,因公护照,E30000002,,2034-01-01,\n" \
                    "Zheng Lu,T9302,,cs,official_passport,E30000003,2014-01-01,2024-01-01,\n"
    done = clerk.post("/passports/import", data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "list.csv")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert done.status_code == 200 and "3 passports imported into the register." in done.text
    assert "1 of them had expired already and are entered as expired." in done.text
    assert len(_register(system)) == before + 3

    # a school's reviewer reads their school's (masked); the vice president all; no one else may import
    coord = browser(system, "coord.cs")
    listed = coord.get("/passports")
    assert listed.status_code == 200 and "Qian Yu" in listed.text and "E30000001" not in listed.text
    assert 'id="new-passport"' not in listed.text and coord.get("/passports/import").status_code == 403
    assert browser(system, "coord.me").get("/passports").text.count("Qian Yu") == 0
