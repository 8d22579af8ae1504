"""The agreements register's and the places' pages on the embedded system, against the real placements service
through the gateway: the ICD enters an agreement refused field by field (the page's checks and the service's), then
one with a row of terms and a contact, shown in words (the kind of stay, the subject's field, the language with
its level, the country); the register's filters; a stale edit refused with nothing saved, then a saved change; the
signed scan refused when it is not a PDF and kept when it is; the EWP export as a download; a program's places taken
from the agreements, then one set by hand. A school's coordinator reads the register but has no form; a student is
refused. A reader in Chinese sees the statuses and kinds in Chinese.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from mobility.embedded import Embedded
from tests.integration.test_group_trip_pages import speaking
from tests.integration.test_web_pages import browser, csrf_of, system, token_for  # noqa: F401
from tests.support.api import PDF
from tests.support.pages import error_summary, page_text
from tests.support.wait import until


def _api(system: Embedded, username: str, method: str, path: str, **kwargs: Any) -> Any:  # noqa: F811
    client = system.gateway.test_client()
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token_for(client, username)}"},
                       **kwargs)


def _agreements(system: Embedded) -> list[dict[str, Any]]:  # noqa: F811
    reply = _api(system, "icd.officer", "GET", "/api/v1/agreements?limit=200")
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["items"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def icd(system: Embedded) -> FlaskClient:  # noqa: F811
    return speaking(browser(system, "icd.officer"), "en")


@pytest.fixture(scope="module")
def program(system: Embedded) -> dict[str, Any]:  # noqa: F811
    """A demo student exchange program with partners, once the placements service has its copy."""
    programs = _api(system, "icd.officer", "GET", "/api/v1/programs").get_json()
    chosen = next(p for p in programs if p["kind"] == "student_exchange" and p["partners"])

    def known() -> Any:
        reply = _api(system, "icd.officer", "GET", f"/api/v1/places?program_id={chosen['id']}")
        return reply.get_json() if reply.status_code == 200 else None

    until(known, what="the placements service's copy of the program")
    return chosen  # type: ignore[no-any-return]


def _post(client: FlaskClient, path: str, **values: str) -> Any:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    return client.post(path, data={"csrf_token": csrf_of(page.text), **values})


def _dates(prefix: str, day: int, month: int, year: int) -> dict[str, str]:
    return {f"{prefix}-day": str(day), f"{prefix}-month": str(month), f"{prefix}-year": str(year)}


def _good(partner: dict[str, Any]) -> dict[str, str]:
    return {"partner": partner["id"], "type": "student_exchange", "status": "signed", "term_rows": "3",
            "contact_rows": "2", **_dates("signed_on", 1, 3, 2024), **_dates("valid_from", 1, 9, 2024),
            **_dates("valid_to", 31, 8, 2040),
            "terms-0-direction": "outgoing", "terms-0-mobility_type": "student_studies",
            "terms-0-places_per_year": "3", "terms-0-total_months": "15", "terms-0-subject_codes": "0613, 0714",
            "terms-0-degree-bachelor": "on", "terms-0-degree-master": "on", "terms-0-languages": "de B2, en b1",
            "contacts-0-name": "Anna Schmidt", "contacts-0-email": "anna@partner.example", "contacts-0-role": "signer"}


def test_the_icd_enters_an_agreement_refused_field_by_field_then_reads_it_in_words(
        system: Embedded, icd: FlaskClient, program: dict[str, Any]) -> None:  # noqa: F811
    register = icd.get("/agreements")
    assert register.status_code == 200 and 'id="agreements-link"' in register.text
    assert 'id="new-agreement"' in register.text
    before = len(_agreements(system))
    assert icd.post("/agreements/new", data={"type": "mou"}).status_code == 400  # no CSRF token

    blank = _post(icd, "/agreements/new", status="draft", **{"terms-0-places_per_year": "x",
                                                              "valid_to-day": "31", "valid_to-month": "2",
                                                              "valid_to-year": "2031"})
    assert blank.status_code == 422
    assert error_summary(blank.text) == [
        ("#partner", "Choose the partner."), ("#type", "Choose the type of agreement."),
        ("#valid_to-day", "Valid to: Enter a real date."),
        ("#terms-0-direction", "Terms, row 1: choose who goes where."),
        ("#terms-0-mobility_type", "Terms, row 1: choose the kind of stay."),
        ("#terms-0-places_per_year", "Terms, row 1: enter a whole number.")]
    assert 'aria-invalid="true"' in blank.text and 'value="x"' in blank.text  # what was typed stays

    # the service's own rule: a signed agreement names its dates
    partner = program["partners"][0]
    undated = _post(icd, "/agreements/new", partner=partner["id"], type="mou", status="signed")
    assert undated.status_code == 422
    assert {href for href, _ in error_summary(undated.text)} == {"#signed_on-day", "#valid_from-day", "#valid_to-day"}
    assert len(_agreements(system)) == before  # nothing stored

    made = _post(icd, "/agreements/new", **_good(partner))
    assert made.status_code == 302, page_text(made.text)[:2000]
    page = icd.get(made.headers["Location"])
    text = page_text(page.text)
    assert page.status_code == 200
    for words in ("Student exchange agreement", "Signed", "Student study stay",
                  "Our students or staff go to the partner", "0613 (Information and communication technologies)",
                  "0714 (Engineering, manufacturing and construction)", "Bachelor's, Master's", "German B2",
                  "English B1", "Anna Schmidt · signer", "August 31, 2040"):
        assert words in text, words
    stored = next(a for a in _agreements(system) if a["partner_id"] == partner["id"])
    assert stored["terms"][0]["languages"] == [{"language": "de", "cefr": "B2"}, {"language": "en", "cefr": "B1"}]
    assert stored["terms"][0]["degree_levels"] == ["bachelor", "master"]
    assert len(stored["contacts"]) == 1  # the blank rows are ignored

    # the register and its filters
    listed = icd.get("/agreements?status=signed&type=student_exchange")
    assert f'data-agreement="{stored["id"]}"' in listed.text and "3 out · 0 in" in page_text(listed.text)
    assert f'data-agreement="{stored["id"]}"' not in icd.get("/agreements?status=draft").text
    assert f'data-agreement="{stored["id"]}"' not in icd.get("/agreements?expiring=30").text
    assert f'data-agreement="{stored["id"]}"' in icd.get(f"/agreements?partner={partner['name'][:4]}").text


def _the_agreement(system: Embedded, program: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    partner = program["partners"][0]
    return next(a for a in _agreements(system) if a["partner_id"] == partner["id"])


def test_a_stale_edit_is_refused_with_nothing_saved_then_a_change_is_saved(
        system: Embedded, icd: FlaskClient, program: dict[str, Any]) -> None:  # noqa: F811
    agreement = _the_agreement(system, program)
    path = f"/agreements/{agreement['id']}/edit"
    form = icd.get(path)
    assert form.status_code == 200
    assert 'value="de B2, en B1"' in form.text and 'value="Anna Schmidt"' in form.text  # as stored
    token = csrf_of(form.text)
    values = {**_good(program["partners"][0]), "term_rows": "3", "contact_rows": "2", "csrf_token": token,
              "terms-0-places_per_year": "4", "version": str(agreement["version"])}
    # someone else changes it meanwhile
    other = _api(system, "admin", "PATCH", f"/api/v1/agreements/{agreement['id']}",
                 json={"version": agreement["version"], "contacts": [{"name": "Anna Schmidt", "role": "signer"}]})
    assert other.status_code == 200, other.get_json()
    stale = icd.post(path, data=values)
    assert stale.status_code == 409
    assert "Someone changed this agreement meanwhile" in page_text(stale.text), error_summary(stale.text)
    assert _the_agreement(system, program)["terms"][0]["places_per_year"] == 3
    # the page now carries the current version: saving again works
    version = re.search(r'name="version" value="(\d+)"', stale.text)
    assert version and int(version[1]) == agreement["version"] + 1
    saved = icd.post(path, data={**values, "version": version[1]})
    assert saved.status_code == 302, page_text(saved.text)[:1500]
    assert _the_agreement(system, program)["terms"][0]["places_per_year"] == 4


def test_the_signed_scan_must_be_a_pdf_and_the_export_downloads(
        system: Embedded, icd: FlaskClient, program: dict[str, Any]) -> None:  # noqa: F811
    agreement = _the_agreement(system, program)
    path = f"/agreements/{agreement['id']}"
    token = csrf_of(icd.get(path).text)
    empty = icd.post(f"{path}/document", data={"csrf_token": token})
    assert empty.status_code == 422 and error_summary(empty.text)[0][0] == "#document-file"
    fake = icd.post(f"{path}/document", data={"csrf_token": token, "file": (io.BytesIO(b"MZ not a pdf"), "a.pdf")})
    assert fake.status_code == 422 and error_summary(fake.text)[0][0] == "#document-file"
    assert _the_agreement(system, program)["document"] is None
    kept = icd.post(f"{path}/document", data={"csrf_token": token, "file": (io.BytesIO(PDF), "signed.pdf")})
    assert kept.status_code == 302, page_text(kept.text)[:1500]
    page = icd.get(path)
    assert 'id="document-link"' in page.text
    download = icd.get(f"{path}/document")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    export = icd.get("/agreements/export.json?status=signed")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    assert agreement["id"] in json.dumps(json.loads(export.data))


def test_places_taken_from_the_agreements_then_set_by_hand(
        system: Embedded, icd: FlaskClient, program: dict[str, Any]) -> None:  # noqa: F811
    page = icd.get(f"/places?program_id={program['id']}")
    assert page.status_code == 200 and 'id="form-places"' in page.text
    partner = program["partners"][0]
    recount = icd.post(f"/places/{program['id']}/from-agreements", data={"csrf_token": csrf_of(page.text)})
    assert recount.status_code == 302
    shown = icd.get(recount.headers["Location"])
    row = re.search(rf'<tr data-partner="{partner["id"]}" data-places="(\d*)" data-source="(\w*)"', shown.text)
    assert row and row[2] == "agreement", shown.text[:3000]

    token = csrf_of(shown.text)
    bad = icd.post(f"/places/{program['id']}", data={"csrf_token": token, f"places-{partner['id']}": "many"})
    assert bad.status_code == 422 and error_summary(bad.text)[0][0] == f"#places-{partner['id']}"
    saved = icd.post(f"/places/{program['id']}", data={"csrf_token": token, f"places-{partner['id']}": "7"})
    assert saved.status_code == 302
    after = icd.get(saved.headers["Location"]).text
    assert f'data-partner="{partner["id"]}" data-places="7" data-source="office"' in after
    assert "Set by the office" in page_text(after)


def test_school_staff_read_without_forms_and_a_student_is_refused(
        system: Embedded, program: dict[str, Any]) -> None:  # noqa: F811
    agreement = _the_agreement(system, program)
    coord = speaking(browser(system, "coord.cs"), "zh")
    register = coord.get("/agreements")
    assert register.status_code == 200 and 'id="agreements-link"' in register.text
    assert 'id="new-agreement"' not in register.text
    assert "已签署" in register.text or "已签" in register.text  # the status in Chinese
    one = coord.get(f"/agreements/{agreement['id']}")
    assert one.status_code == 200 and 'id="form-document"' not in one.text and 'id="edit-agreement"' not in one.text
    assert coord.get("/agreements/new").status_code == 403
    assert coord.get(f"/agreements/{agreement['id']}/edit").status_code == 403
    places = coord.get(f"/places?program_id={program['id']}")
    assert places.status_code == 200 and 'id="save-places"' not in places.text

    alice = browser(system, "alice")
    assert 'id="agreements-link"' not in alice.get("/").text
    assert alice.get("/agreements").status_code == 403
    assert alice.get(f"/agreements/{agreement['id']}").status_code == 403
