"""A staff group trip (团组, kind faculty_exchange) on the pages of the embedded system: members and stops as lists
of items, "Add another" and "Remove" saving the draft without script, a stop's bad date and a member's missing
answer shown next to the item's input and linked from the error summary (nothing saved), and the stored group in
words on "check your answers", the application page and the reviewer's task page. The widget's own rules are
tested in tests/unit/test_web_items.py, the whole filing in the browser in tests/browser/test_group_trip.py."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration.test_web_pages import browser, csrf_of, system, token_for  # noqa: F401
from tests.support.api import PDF
from tests.support.wait import until

START = date.today() + timedelta(days=60)  # beyond the general category's lead time (30 days)


def _day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


def member(n: int, name: str, leader: bool = False) -> dict[str, str]:
    return {f"members-{n}-name": name, f"members-{n}-staff_number": f"T{n:04d}",
            f"members-{n}-school": "Computer Science", f"members-{n}-post": "Professor",
            f"members-{n}-title": "Professor",
            f"members-{n}-leader": "yes" if leader else "no", f"members-{n}-abroad_status": "none",
            f"members-{n}-declared": "y", f"members-{n}-passport_type": "official_passport"}


def stop(n: int, country: str, city: str, arrival: int, departure: int) -> dict[str, str]:
    return {f"itinerary-{n}-country": country, f"itinerary-{n}-city": city, f"itinerary-{n}-institution": f"{city} U",
            f"itinerary-{n}-arrival": _day(arrival), f"itinerary-{n}-departure": _day(departure)}


TRIP = {"category": "general", "purpose": "conference", "tasks": "Present our paper; plan joint research.",
        "start_date": _day(0), "end_date": _day(6), "inviter_institution": "TU Munich",
        "inviter_description": "A partner since 2015.", "funding_source": "Research grant 2031-17",
        "budget_lines-international_travel": "8000.00", "budget_lines-lodging": "6000.00",
        "budget_lines-meals_incidentals": "3000.00", "budget_lines-other": "500.00"}


def post(client: FlaskClient, path: str, data: dict[str, str], **more: Any) -> Any:
    page = client.get(path)
    return client.post(path, data={"csrf_token": csrf_of(page.text), **data}, **more)


def speaking(client: FlaskClient, lang: str) -> FlaskClient:
    """The reader's choice of language (kept on the account: each test says which it needs)."""
    page = client.get("/applications")
    switched = client.post("/language", data={"lang": lang, "next": "/", "csrf_token": csrf_of(page.text)})
    assert switched.status_code == 302
    return client


def stored(client: FlaskClient, application_id: str) -> dict[str, Any]:
    """The application as the API keeps it (prof.li's, with a token of his)."""
    headers = {"Authorization": f"Bearer {token_for(client, 'prof.li')}"}
    return client.get(f"/api/v1/applications/{application_id}", headers=headers).get_json()  # type: ignore[no-any-return]


def version_of(client: FlaskClient, application_id: str) -> str:
    return str(stored(client, application_id)["version"])


def test_add_another_and_remove_save_the_draft_without_script(system: Embedded) -> None:  # noqa: F811
    li = browser(system, "prof.li")
    form = li.get("/apply/faculty_exchange").text
    assert 'id="members-0"' in form and 'id="itinerary-0"' in form and 'value="add:members"' in form
    assert 'value="remove:members' not in form  # one empty member to start with, nothing to remove
    assert form.index('value="default"') < form.index('value="add:members"')  # Enter saves, it adds or removes nothing
    added = post(li, "/apply/faculty_exchange", {**TRIP, **member(0, "Li Wei", leader=True), "action": "add:members"})
    assert added.status_code == 302, added.text
    application_id = re.search(r"/applications/([0-9a-f-]{36})/edit", added.headers["Location"]).group(1)  # type: ignore[union-attr]
    assert added.headers["Location"].endswith("/edit?add=members#members-1")
    page = li.get(added.headers["Location"]).text
    assert 'value="Li Wei"' in page and 'id="members-1"' in page and 'id="members-1-name"' in page
    assert 'id="members-2"' not in page and 'value="remove:members:1"' in page
    assert [m["name"] for m in stored(li, application_id)["form"]["members"]] == ["Li Wei"]

    edit = f"/applications/{application_id}/edit"
    two = {**TRIP, **member(0, "Li Wei"), **member(1, "Wang Fang", leader=True),
           "version": version_of(li, application_id)}
    again = post(li, edit, {**two, "action": "add:members"})
    assert again.headers["Location"].endswith("?add=members#members-2")
    assert [m["name"] for m in stored(li, application_id)["form"]["members"]] == ["Li Wei", "Wang Fang"]

    removed = post(li, edit, {**two, "version": version_of(li, application_id), "action": "remove:members:0"})
    assert removed.status_code == 302 and removed.headers["Location"].endswith("/edit#members")
    members = stored(li, application_id)["form"]["members"]
    assert [m["name"] for m in members] == ["Wang Fang"] and members[0]["declared"] is True
    page = li.get(edit).text
    assert 'value="Wang Fang"' in page and "Li Wei" not in page.split('id="application-form"')[1]

    # a draft without its end and budget yet: the category's limits have nothing to judge
    stops = {"category": "general", "start_date": _day(0), **member(0, "Wang Fang", leader=True),
             **stop(0, "de", "Munich", 0, 3), "version": version_of(li, application_id), "action": "add:itinerary"}
    refused = post(li, edit, {**stops, "itinerary-0-arrival": "soon"})
    assert refused.status_code == 422 and 'id="itinerary-0-arrival-errors"' in refused.text
    assert 'id="itinerary-1"' in refused.text and 'value="soon"' in refused.text  # the empty stop all the same
    with_stop = post(li, edit, stops)
    assert with_stop.status_code == 302, re.findall(r"<li><a href=[^<]*</a>", with_stop.text)
    assert with_stop.headers["Location"].endswith("?add=itinerary#itinerary-1")
    assert stored(li, application_id)["form"]["itinerary"][0]["country"] == "DE"


def test_an_items_errors_show_next_to_its_input_and_in_the_summary(system: Embedded) -> None:  # noqa: F811
    li = speaking(browser(system, "prof.li"), "en")
    created = post(li, "/apply/faculty_exchange", {**TRIP, **member(0, "Li Wei", leader=True), "action": "save"})
    assert created.status_code == 302, created.text
    application_id = created.headers["Location"].rsplit("/", 1)[-1]
    edit = f"/applications/{application_id}/edit"
    version = version_of(li, application_id)
    bad = {**TRIP, **member(0, "Li Wei", leader=True), **member(1, "Wang Fang"), "members-1-passport_type": "visa",
           **stop(0, "DE", "Munich", 0, 3), **stop(1, "FR", "Paris", 3, 6), "itinerary-1-arrival": "3 May",
           "version": version, "action": "save"}
    refused = post(li, edit, bad)
    assert refused.status_code == 422
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary))
    assert links["#itinerary-1-arrival"].startswith("Itinerary › Itinerary: 2 › Arrival: ")
    assert "#members-1-passport_type" in links
    arrival = re.search(r'<input[^>]*id="itinerary-1-arrival"[^>]*>', refused.text)
    assert arrival and 'aria-invalid="true"' in arrival.group(0)
    assert 'id="itinerary-1-arrival-errors"' in refused.text and 'value="3 May"' in refused.text  # kept as typed
    assert version_of(li, application_id) == version  # nothing saved

    refused = post(speaking(li, "zh"), edit, bad)
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "行程 › 行程：2 › " in summary


def _filed(client: FlaskClient) -> str:
    """A complete three-member, two-country trip saved through the form, its invitation uploaded; its id."""
    data = {**TRIP, **member(0, "Li Wei", leader=True), **member(1, "Wang Fang"), **member(2, "Zhang Min"),
            **stop(0, "DE", "Munich", 0, 3), **stop(1, "FR", "Paris", 3, 6), "action": "save"}
    created = post(client, "/apply/faculty_exchange", data)
    assert created.status_code == 302, created.text
    application_id = created.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/applications/{application_id}").text
    uploaded = client.post(f"/applications/{application_id}/documents", data={
        "csrf_token": csrf_of(page), "document_type": "invitation_letter", "file": (io.BytesIO(PDF), "invite.pdf")})
    assert uploaded.status_code == 302
    return application_id


def test_the_stored_group_reads_in_words_for_the_applicant_and_the_reviewer(system: Embedded) -> None:  # noqa: F811
    li = speaking(browser(system, "prof.li"), "zh")
    application_id = _filed(li)
    check = li.get(f"/applications/{application_id}/submit").text
    members = check.split('data-field="members"')[1].split('data-field="itinerary"')[0]
    assert members.count('<span class="entry-label">') == 3 and "团组成员：3" in members
    assert "Zhang Min" in members and "因公护照" in members and "official_passport" not in members
    stops = check.split('data-field="itinerary"')[1].split("</div>")[0]
    assert "德国 (DE)" in stops and "法国 (FR)" in stops and f"/applications/{application_id}/edit#itinerary" in stops
    submitted = li.post(f"/applications/{application_id}/submit", data={
        "csrf_token": csrf_of(check), "version": version_of(li, application_id), "declaration_asked": "1",
        "declaration": "y"}, follow_redirects=True)
    assert 'data-status="submitted"' in submitted.text, submitted.text[:3000]
    page = li.get(f"/applications/{application_id}").text
    assert '<ol class="entries">' in page and "Wang Fang" in page and "法国 (FR)" in page

    coordinator = speaking(browser(system, "coord.cs"), "en")
    row = f'data-application="{application_id}"'
    until(lambda: row in coordinator.get("/queue").text, timeout=20, interval=0.5)
    queue = coordinator.get("/queue").text
    task_id = re.search(rf'<tr[^>]*data-task="([0-9a-f-]{{36}})"[^>]*{row}|{row}[^>]*data-task="([0-9a-f-]{{36}})"',
                        queue)
    assert task_id, queue[:2000]
    task = coordinator.get(f"/tasks/{task_id.group(1) or task_id.group(2)}").text
    assert "Members: 3" in task and "Germany (DE)" in task and "Official passport" in task
    assert "official_passport" not in task and "hk_macao" not in task
