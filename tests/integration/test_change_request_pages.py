"""Changes after approval on the pages of the embedded system: the applicant of an approved staff trip asks for a
change through the kind's own form (prefilled with the approved trip, "Add another" keeping what was typed with
nothing sent, a reason required, CSRF enforced), checks only what differs and sends it; nobody else reaches the
change form; the reviewer's task shows the reason and the differences; once approved the application shows the new
dates and the change as approved, once turned down as not approved with the comment. The chain editor saves a
publicity level and the level a change is re-approved from, and names the trip-rule conditions in words."""

from __future__ import annotations

import copy
import html
import io
import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from flask_babel import format_date

from mobility.embedded import Embedded
from tests.integration.test_group_trip_pages import speaking
from tests.integration.test_web_pages import browser, csrf_of, system, token_for  # noqa: F401
from tests.support import group_trip
from tests.support.api import PDF
from tests.support.wait import until

GROUP = group_trip.body()
CHAIN = [{"role": "icd_officer", "scope": "university", "days": 5, "changes": True}]
REASON = "The host moved the workshop a day later."


def _auth(client: FlaskClient, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client, user)}"}



def _tasks(client: FlaskClient, application_id: str, round_: int) -> list[dict[str, Any]]:
    reply = client.get(f"/api/v1/review-tasks?application_id={application_id}", headers=_auth(client, "icd.officer"))
    return [t for t in reply.get_json() if t["round"] == round_ and t["status"] in ("open", "claimed")]


def _decide(client: FlaskClient, application_id: str, round_: int, outcome: str = "approve",
            comment: str = "OK") -> dict[str, Any]:
    task = until(lambda: _tasks(client, application_id, round_), what=f"round {round_}'s task")[0]
    decided = client.post(f"/api/v1/review-tasks/{task['id']}/decision", headers=_auth(client, "icd.officer"), json={
        "outcome": outcome, "comment": comment, "application_version": task["application_version"]})
    assert decided.status_code == 201, decided.get_json()
    return task  # type: ignore[no-any-return]


def _application(client: FlaskClient, application_id: str) -> dict[str, Any]:
    return client.get(f"/api/v1/applications/{application_id}", headers=_auth(client, "prof.li")).get_json()  # type: ignore[no-any-return]


def _changes(client: FlaskClient, application_id: str) -> list[dict[str, Any]]:
    reply = client.get(f"/api/v1/applications/{application_id}/change-requests", headers=_auth(client, "prof.li"))
    return reply.get_json()["items"]  # type: ignore[no-any-return]


def _approved_trip(system: Embedded) -> str:  # noqa: F811
    """prof.li's group trip, two months ahead, approved by the office alone (the one level, marked for changes)."""
    client = system.gateway.test_client()
    chain = client.put("/api/v1/review-chains/faculty_exchange", json={"levels": CHAIN},
                       headers=_auth(client, "admin"))
    assert chain.status_code in (200, 201), chain.get_json()
    trip = copy.deepcopy(GROUP)
    trip["form"] = group_trip.shifted(trip["form"], (date.today() + timedelta(days=60)
                                           - date.fromisoformat(trip["form"]["start_date"])).days)
    li = _auth(client, "prof.li")
    created = client.post("/api/v1/applications", json=trip, headers=li)
    assert created.status_code == 201, created.get_json()
    application_id = created.get_json()["id"]
    uploaded = client.post(f"/api/v1/applications/{application_id}/documents", headers=li, data={
        "doc_type": "invitation_letter", "file": (io.BytesIO(PDF), "invite.pdf")})
    assert uploaded.status_code == 201, uploaded.get_json()
    submitted = client.post(f"/api/v1/applications/{application_id}/submit", headers=li,
                            json={"version": created.get_json()["version"]})
    assert submitted.status_code == 200, submitted.get_json()
    _decide(client, application_id, 1)
    until(lambda: client.get(f"/api/v1/applications/{application_id}/approval", headers=li).status_code == 200,
          what="the approval document")
    return str(application_id)


def _posted(page: str, **more: str) -> dict[str, str]:
    """The check page's hidden fields, as the browser posts them back."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {**{name: html.unescape(value) for name, value in fields}, **more}


def _inputs(page: str) -> dict[str, str]:
    """The page's inputs as the browser posts them: a box only when ticked, buttons never."""
    values = {}
    for tag in re.findall(r"<input\b([^>]*)>", page):
        attributes = {name: html.unescape(value) for name, value in re.findall(r'([\w-]+)(?:="([^"]*)")?', tag)}
        if "name" not in attributes or (attributes.get("type") == "checkbox" and "checked" not in attributes):
            continue
        values[attributes["name"]] = attributes.get("value", "")
    return values


def _form_values(page: str) -> dict[str, str]:
    """The change form's fields as the browser would post them (inputs, the chosen options, the reason)."""
    form = page.split('id="change-form"')[1]
    values = _inputs(form)
    for name, body in re.findall(r'<select[^>]*name="([\w-]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        values[name] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([\w-]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = html.unescape(body).lstrip("\r\n")
    return values


def test_the_applicant_changes_an_approved_trip_and_the_office_re_approves_it(system: Embedded) -> None:  # noqa: F811
    application_id = _approved_trip(system)
    approved = _application(system.gateway.test_client(), application_id)
    li = speaking(browser(system, "prof.li"), "en")
    page = li.get(f"/applications/{application_id}").text
    path = f"/applications/{application_id}/change"
    assert f'href="{path}"' in page and 'id="change-requests"' in page

    form = li.get(path)
    assert form.status_code == 200 and 'value="李伟"' in form.text and 'name="reason"' in form.text
    values = _form_values(form.text)
    assert values["start_date"] == approved["form"]["start_date"] and values["members-2-name"] == "陈晨"

    # nobody else reaches the change form: another teacher, a reviewer
    admin = browser(system, "admin")
    made = admin.post("/admin/users", data={
        "csrf_token": csrf_of(admin.get("/admin/users").text), "what": "create", "username": "prof.zhou",
        "email": "zhou@example.edu", "password": "pw-123456", "school": "cs", "add_role": "teacher",
        "add_school": ""}, follow_redirects=True)
    assert 'class="flash success"' in made.text
    zhou = browser(system)
    signed = zhou.post("/login", data={"username": "prof.zhou", "password": "pw-123456",
                                       "csrf_token": csrf_of(zhou.get("/login").text)})
    assert signed.status_code == 302
    assert zhou.get(path).status_code in (403, 404)
    assert zhou.post(path, data={**values, "csrf_token": csrf_of(zhou.get("/programs").text),
                                 "reason": "Mine now.", "action": "send"}).status_code in (403, 404)
    assert browser(system, "icd.officer").get(path).status_code == 404

    later = group_trip.shifted(approved["form"], 1)
    moved = {**values, "start_date": later["start_date"], "end_date": later["end_date"],
             **{f"itinerary-{i}-{key}": stop[key] for i, stop in enumerate(later["itinerary"])
                for key in ("arrival", "departure")}}
    assert li.post(path, data={**moved, "csrf_token": "", "reason": REASON, "action": "send"}).status_code == 400

    unexplained = li.post(path, data={**moved, "reason": "  ", "action": "check"})
    assert unexplained.status_code == 422
    summary = unexplained.text.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#reason"' in summary and "Say why the trip changes." in summary
    assert f'value="{later["start_date"]}"' in unexplained.text  # what was typed stays
    sent_without = li.post(path, data={**moved, "reason": "", "action": "send"})
    assert sent_without.status_code == 422 and _changes(li, application_id) == []

    another = li.post(path, data={**moved, "reason": REASON, "action": "add:members"})
    assert another.status_code == 200 and 'id="members-3"' in another.text and REASON in another.text
    assert f'value="{later["start_date"]}"' in another.text and _changes(li, application_id) == []

    check = li.post(path, data={**moved, "reason": REASON, "action": "check"})
    assert check.status_code == 200, re.findall(r'<li><a href=[^<]*</a>', check.text)
    rows = check.text.split('id="changes"')[1].split("</table>")[0]
    assert rows.count("data-changed-field") == 4, rows  # the two dates and both stops
    assert "Members" not in rows and "Funding" not in rows  # only what differs
    assert REASON in check.text and _changes(li, application_id) == []
    carried = _posted(check.text, action="send")
    assert carried["csrf_token"] and carried["start_date"] == later["start_date"] and carried["reason"] == REASON

    sent = li.post(path, data=carried)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"{path}/sent")
    confirmation = li.get(sent.headers["Location"]).text
    assert 'id="change-sent"' in confirmation and "Change sent for approval" in confirmation
    [change] = _changes(li, application_id)
    assert change["status"] == "pending" and change["reason"] == REASON
    assert change["form"]["start_date"] == later["start_date"]
    page = li.get(f"/applications/{application_id}").text
    assert 'data-change-status="pending"' in page and "waiting for approval" in page and f'href="{path}"' not in page
    assert li.get(path, follow_redirects=True).request.path == f"/applications/{application_id}"  # one at a time

    officer = speaking(browser(system, "icd.officer"), "en")
    task = until(lambda: _tasks(li, application_id, 2), what="the change's task")[0]
    assert task["application_version"] == approved["version"] + 1
    shown = officer.get(f"/tasks/{task['id']}").text
    assert f"Change requested: {REASON}" in shown
    differences = shown.split('id="change-request"')[1].split("</section>")[0]
    with system.gateway.test_request_context(headers={"Accept-Language": "en"}):
        before = format_date(date.fromisoformat(approved["form"]["start_date"]), "long")
        after = format_date(date.fromisoformat(later["start_date"]), "long")
    assert f"<del>{before}</del>" in differences and f"<ins>{after}</ins>" in differences
    assert "What changed since the last round" not in shown

    _decide(li, application_id, 2)
    until(lambda: _changes(li, application_id)[0]["status"] == "approved", what="the change approved")
    page = li.get(f"/applications/{application_id}").text
    assert 'data-change-status="approved"' in page and after in page and before not in page
    assert _application(li, application_id)["form"]["start_date"] == later["start_date"]

    # a second change the office turns down: not approved, with its comment
    again = _form_values(li.get(path).text)
    assert again["start_date"] == later["start_date"]
    check = li.post(path, data={**again, "funding_source": "The school's own budget", "reason": "Other money.",
                                "action": "check"})
    assert check.status_code == 200
    assert li.post(path, data=_posted(check.text, action="send")).status_code == 302
    _decide(li, application_id, 3, outcome="reject", comment="Keep the grant as the source.")
    until(lambda: _changes(li, application_id)[-1]["status"] == "rejected", what="the change turned down")
    page = li.get(f"/applications/{application_id}").text
    assert 'data-change-status="rejected"' in page and "not approved" in page
    assert "Keep the grant as the source." in page and f'href="{path}"' in page


def test_an_unchanged_form_is_refused_on_check_and_a_draft_has_no_change_page(system: Embedded) -> None:  # noqa: F811
    application_id = _approved_trip(system)
    li = speaking(browser(system, "prof.li"), "en")
    path = f"/applications/{application_id}/change"
    values = _form_values(li.get(path).text)
    same = li.post(path, data={**values, "reason": "Nothing really.", "action": "check"})
    assert same.status_code == 422 and "Nothing differs from the approved trip" in same.text
    fewer = li.post(path, data={**values, "reason": "Chen Chen stays home.", "action": "remove:members:2"})
    assert fewer.status_code == 200 and "陈晨" not in fewer.text and 'value="王芳"' in fewer.text
    assert "Chen Chen stays home." in fewer.text and _changes(li, application_id) == []
    check = li.post(path, data={**_form_values(fewer.text), "action": "check"})
    rows = check.text.split('id="changes"')[1].split("</table>")[0]
    assert check.status_code == 200 and "陈晨" in rows, rows
    chinese = speaking(li, "zh").get(path).text
    assert "行程为何变更？" in chinese and "核对变更内容" in chinese and "Why does the trip change?" not in chinese
    client = system.gateway.test_client()
    draft = client.post("/api/v1/applications", json=GROUP, headers=_auth(client, "prof.li")).get_json()
    assert li.get(f"/applications/{draft['id']}/change").status_code == 404


def _editor_form(page: str) -> dict[str, str]:
    """The chain editor's values, as the browser would post them (a box only when ticked)."""
    values = _inputs(page)
    for name, body in re.findall(r'<select[^>]*name="([\w-]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        first = re.search(r'<option value="([^"]*)"', body)
        values[name] = chosen.group(1) if chosen else first.group(1) if first else ""
    return values


def test_the_chain_editor_saves_a_publicity_level_and_the_level_changes_start_from(system: Embedded) -> None:  # noqa: F811
    admin = browser(system, "admin")
    editor = "/admin/chains/faculty_exchange"
    page = admin.get(editor).text
    assert 'name="type-0"' in page and "Publicity (公示, a period of working days)" in page
    assert "an exception to the office&#39;s rules is asked for" in page
    assert "the trip is outside the school&#39;s annual plan" in page
    rows = {k: v for k, v in _editor_form(page).items() if not re.match(r"\w+-\d+$", k)}
    levels = {
        "rows": "2",
        "type-0": "decision", "role-0": "school_coordinator", "scope-0": "school", "days-0": "3",
        "condition-0-0": "rule_exception", "threshold-0-0": "",
        "type-1": "publicity", "role-1": "icd_officer", "scope-1": "university", "days-1": "5", "changes-1": "y"}
    missing = admin.post(editor, data={**rows, **levels, "action": "save"})
    assert missing.status_code == 422 and 'href="#working_days-1"' in missing.text
    assert "Level 2 — Working days of publicity: Enter the publicity period in working days" in missing.text
    odd = admin.post(editor, data={**rows, **levels, "days-1": "²", "working_days-1": "²", "action": "save"})
    assert odd.status_code == 422 and 'href="#working_days-1"' in odd.text and 'href="#days-1"' in odd.text
    preview = admin.post(editor, data={**rows, **levels, "working_days-1": "5", "action": "preview"})
    assert ("Level 2: publicity (公示) for 5 working days, watched by ICD officer" in preview.text
            and "A change after approval is re-approved from here." in preview.text)
    assert "only when an exception to the office&#39;s rules is asked for" in preview.text
    assert re.search(r'type="checkbox"[^>]*name="changes-1"[^>]*checked', preview.text)
    saved = admin.post(editor, data={**rows, **levels, "working_days-1": "5", "action": "save"})
    assert saved.status_code == 302, re.findall(r"<li>.*?</li>", saved.text)[:5]
    stored = admin.get("/api/v1/review-chains/faculty_exchange", headers=_auth(admin, "admin")).get_json()
    assert stored["levels"] == [
        {"role": "school_coordinator", "scope": "school", "days": 3, "condition": {"any": [{"rule_exception": True}]}},
        {"type": "publicity", "role": "icd_officer", "scope": "university", "days": 5, "working_days": 5,
         "changes": True}]
    again = admin.get(editor).text
    assert re.search(r'<option value="publicity" selected', again) and 'name="working_days-1" value="5"' in again
    assert re.search(r'type="checkbox"[^>]*name="changes-1"[^>]*checked', again)
    assert not re.search(r'type="checkbox"[^>]*name="changes-0"[^>]*checked', again)
