"""The agreements register on PostgreSQL: an agreement with its terms and contacts, bad input refused with field
errors and nothing stored, a stale change refused, the signed scan (a PDF by content only), the EWP-shaped export
valid against the JSON Schema written from the IIA spec, and the sweep: a reminder once N days before the end, the
agreement expired after it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from services.placements import agreement_reminders
from tests.support.placements import TUM, Placements, placements_fixture  # noqa: F401

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "integration" / "ewp-iia.schema.json"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ff"
                    "ff3f0005fe02fea7d6a4c50000000049454e44ae426082")
ICD = "icd.officer"


def agreement(**fields: Any) -> dict[str, Any]:
    """A POST /agreements body: a signed student exchange with TU Munich, 2031 to 2036."""
    return {"partner_id": TUM["partner_id"], "partner_name": "TU Munich", "partner_country": "DE",
            "type": "student_exchange", "status": "signed", "signed_on": "2031-01-10", "valid_from": "2031-02-01",
            "valid_to": "2036-01-31",
            "contacts": [{"name": "Anna Schmidt", "email": "anna.schmidt@tum.example", "phone": "+49 89 1234",
                          "role": "institutional coordinator"}],
            "terms": [{"direction": "outgoing", "mobility_type": "student_studies", "places_per_year": 4,
                       "total_months": 20, "subject_codes": ["0613", "0714"], "degree_levels": ["bachelor", "master"],
                       "languages": [{"language": "en", "cefr": "B2"}, {"language": "de", "cefr": "B1"}],
                       "academic_years": ["2031/2032", "2032/2033"]},
                      {"direction": "incoming", "mobility_type": "staff_teaching", "places_per_year": 2,
                       "total_months": 1}],
            **fields}


def create(placements: Placements, **fields: Any) -> dict[str, Any]:
    response = placements.call(ICD, "POST", "/agreements", json=agreement(**fields))
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def count(placements: Placements) -> tuple[int, int]:
    return (placements.scalar("SELECT count(*) FROM agreements"),
            placements.scalar("SELECT count(*) FROM agreement_terms"))


def test_an_agreement_is_kept_with_its_terms_and_contacts_and_announced(placements: Placements) -> None:
    made = create(placements)
    assert made["version"] == 1 and made["status"] == "signed" and made["created_by"] == ICD
    assert made["contacts"][0]["email"] == "anna.schmidt@tum.example"
    assert [t["mobility_type"] for t in made["terms"]] and len(made["terms"]) == 2
    read = placements.call("coord.cs", "GET", f"/agreements/{made['id']}")
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    outgoing = next(t for t in read.json["terms"] if t["direction"] == "outgoing")
    assert outgoing["languages"] == [{"language": "en", "cefr": "B2"}, {"language": "de", "cefr": "B1"}]
    assert outgoing["academic_years"] == ["2031/2032", "2032/2033"]
    (event,) = placements.events("agreement.saved")
    assert event["agreement_id"] == made["id"] and event["change"] == "created" and "contacts" not in event

    listed = placements.call("dean.cs", "GET", "/agreements?partner=munich&status=signed&type=student_exchange")
    assert [a["id"] for a in listed.json["items"]] == [made["id"]]
    assert placements.call(ICD, "GET", "/agreements?status=draft").json["items"] == []


def test_the_list_is_paged_and_filters_what_ends_soon(placements: Placements) -> None:
    ids = [create(placements, partner_name=f"Partner {n}", valid_to=f"20{40 + n}-01-31")["id"] for n in range(3)]
    soon = create(placements, partner_name="Ends soon", valid_from="2020-01-01",
                  valid_to=datetime.now(UTC).date().replace(year=datetime.now(UTC).year + 1).isoformat())
    first = placements.call(ICD, "GET", "/agreements?limit=2")
    second = placements.call(ICD, "GET", f"/agreements?limit=2&cursor={first.json['next_cursor']}")
    seen = [a["id"] for a in first.json["items"] + second.json["items"]]
    assert sorted(seen) == sorted(ids + [soon["id"]]) and second.json["next_cursor"] is None
    within = placements.call(ICD, "GET", "/agreements?expiring_within=400")
    assert [a["id"] for a in within.json["items"]] == [soon["id"]]


def test_bad_input_is_refused_with_field_errors_and_nothing_is_stored(placements: Placements) -> None:
    bad_fields = placements.call(ICD, "POST", "/agreements", json=agreement(
        partner_country="Germany", terms=[{"direction": "sideways", "mobility_type": "student_studies",
                                           "places_per_year": 2, "subject_codes": ["61"],
                                           "languages": [{"language": "en", "cefr": "D1"}],
                                           "academic_years": ["2031/2033"]}]))
    assert bad_fields.status_code == 422
    assert bad_fields.headers["Content-Type"].startswith("application/problem+json")
    assert "partner_country" in json.dumps(bad_fields.json) and "subject_codes" in json.dumps(bad_fields.json)
    unknown = placements.call(ICD, "POST", "/agreements", json=agreement(secret_field=1))
    assert unknown.status_code == 422
    whole = placements.call(ICD, "POST", "/agreements", json=agreement(signed_on=None, valid_to="2030-01-01"))
    assert whole.status_code == 422 and whole.headers["Content-Type"].startswith("application/problem+json")
    assert set(whole.json["errors"]) == {"signed_on", "valid_to"}
    assert count(placements) == (0, 0) and placements.events("agreement.saved") == []


def test_a_change_names_the_version_and_a_stale_one_changes_nothing(placements: Placements) -> None:
    made = create(placements, status="draft", signed_on=None)
    path = f"/agreements/{made['id']}"
    changed = placements.call(ICD, "PATCH", path, json={"version": 1, "status": "signed", "signed_on": "2031-01-12",
                                                        "terms": [{"direction": "outgoing",
                                                                   "mobility_type": "student_studies",
                                                                   "places_per_year": 6}]})
    assert changed.status_code == 200, changed.json
    assert changed.json["version"] == 2 and changed.json["status"] == "signed"
    assert [t["places_per_year"] for t in changed.json["terms"]] == [6]
    assert count(placements) == (1, 1)

    stale_body = placements.call(ICD, "PATCH", path, json={"version": 1, "partner_name": "Lost update"})
    assert stale_body.status_code == 409 and stale_body.headers["Content-Type"].startswith("application/problem+json")
    stale_header = placements.call(ICD, "PATCH", path, json={"partner_name": "Lost update"},
                                   headers={"If-Match": '"1"'})
    assert stale_header.status_code == 412
    unnamed = placements.call(ICD, "PATCH", path, json={"partner_name": "Lost update"})
    assert unnamed.status_code == 409
    backwards = placements.call(ICD, "PATCH", path, json={"status": "draft"}, headers={"If-Match": '"2"'})
    assert backwards.status_code == 422 and "status" in backwards.json["errors"]
    after = placements.call(ICD, "GET", path).json
    assert after["partner_name"] == "TU Munich" and after["version"] == 2 and after["status"] == "signed"
    assert [e["change"] for e in placements.events("agreement.saved")] == ["created", "changed"]


def test_the_signed_scan_is_a_pdf_by_content_and_downloads_as_an_attachment(placements: Placements) -> None:
    made = create(placements)
    path = f"/agreements/{made['id']}/document"
    fake = placements.call(ICD, "PUT", path, data={"file": (io.BytesIO(PNG), "scan.pdf")},
                           content_type="multipart/form-data")
    assert fake.status_code == 415
    html = placements.call(ICD, "PUT", path, data={"file": (io.BytesIO(b"<html><script>x</script>"), "scan.pdf")},
                           content_type="multipart/form-data")
    assert html.status_code == 415
    assert placements.call(ICD, "GET", path).status_code == 404
    assert list((placements.settings.documents_dir / "agreements").glob("*")) == []

    kept = placements.call(ICD, "PUT", path, data={"file": (io.BytesIO(PDF), "TUM agreement.html")},
                           content_type="multipart/form-data")
    assert kept.status_code == 200, kept.json
    assert kept.json["document"]["filename"] == "TUM agreement.pdf" and kept.json["version"] == 2
    assert "file_id" not in kept.json["document"]
    got = placements.call("coord.cs", "GET", path)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert placements.events("agreement.saved")[-1]["has_document"] is True


def test_the_export_has_ewps_names_and_is_valid_against_the_schema(placements: Placements) -> None:
    signed = create(placements)
    create(placements, partner_id=None, partner_name="Unknown U", status="draft", signed_on=None, valid_from=None,
           valid_to=None)
    export = placements.call("dean.cs", "GET", "/agreements/export")
    assert export.status_code == 200
    Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")),
                         format_checker=Draft202012Validator.FORMAT_CHECKER).validate(export.json)
    iias = export.json["iias-get-response"]["iia"]
    assert len(iias) == 2
    only_signed = placements.call(ICD, "GET", "/agreements/export?status=signed").json
    (iia,) = only_signed["iias-get-response"]["iia"]
    assert iia["partner"][0]["iia-id"] == signed["id"] and iia["partner"][1]["hei-id"] == TUM["partner_id"]
    assert iia["in-effect"] is True
    (studies,) = iia["cooperation-conditions"]["student-studies-mobility-spec"]
    assert studies["sending-hei-id"] == iia["partner"][0]["hei-id"]
    assert studies["receiving-hei-id"] == TUM["partner_id"]
    assert (studies["receiving-first-academic-year-id"], studies["receiving-last-academic-year-id"]) == (
        "2031/2032", "2032/2033")
    assert studies["mobilities-per-year"] == 4 and studies["total-months-per-year"] == 20
    assert studies["subject-area"] == [{"isced-f-code": "0613"}, {"isced-f-code": "0714"}]
    assert studies["eqf-level"] == [6, 7]
    assert {"language": "en", "cefr-level": "B2"} in studies["recommended-language-skill"]
    (teaching,) = iia["cooperation-conditions"]["staff-teacher-mobility-spec"]
    assert teaching["receiving-hei-id"] == iia["partner"][0]["hei-id"]  # incoming: they send, we receive
    assert (teaching["receiving-first-academic-year-id"], teaching["receiving-last-academic-year-id"]) == (
        "2030/2031", "2035/2036")  # from the agreement's validity, 1 Feb 2031 to 31 Jan 2036


def sweep(placements: Placements, when: str, days: int = 90) -> dict[str, int]:
    with placements.sessions() as session, session.begin():
        return agreement_reminders.check(session, datetime.fromisoformat(when), "Asia/Shanghai", days=days)


def test_the_reminder_comes_once_n_days_before_the_end_and_the_end_expires_it(placements: Placements) -> None:
    made = create(placements, valid_to="2036-01-31")
    assert sweep(placements, "2035-11-01T12:00:00+08:00") == {"agreements_expiring": 0, "agreements_expired": 0}
    assert sweep(placements, "2035-11-02T09:00:00+08:00") == {"agreements_expiring": 1, "agreements_expired": 0}
    assert sweep(placements, "2035-11-03T09:00:00+08:00")["agreements_expiring"] == 0
    assert sweep(placements, "2036-01-31T23:00:00+08:00") == {"agreements_expiring": 0, "agreements_expired": 0}
    (reminder,) = placements.events("agreement.expiring")
    assert reminder["agreement_id"] == made["id"] and reminder["days_left"] == 90
    assert reminder["valid_to"] == "2036-01-31"

    assert sweep(placements, "2036-02-01T00:30:00+08:00") == {"agreements_expiring": 0, "agreements_expired": 1}
    after = placements.call(ICD, "GET", f"/agreements/{made['id']}").json
    assert after["status"] == "expired" and after["version"] == 2
    assert placements.events("agreement.saved")[-1]["change"] == "expired"
    assert sweep(placements, "2036-02-02T09:00:00+08:00") == {"agreements_expiring": 0, "agreements_expired": 0}

    renewed = placements.call(ICD, "PATCH", f"/agreements/{made['id']}", json={
        "status": "signed", "valid_to": "2036-05-31"}, headers={"If-Match": '"2"'})
    assert renewed.status_code == 200, renewed.json
    assert sweep(placements, "2036-03-02T09:00:00+08:00")["agreements_expiring"] == 1  # the new end date reminds
    assert len(placements.events("agreement.expiring")) == 2
