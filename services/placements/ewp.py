"""The agreements in the shape of EWP's Interinstitutional Agreements API v7 (`iias-get-response`, get-response.xsd of
erasmus-without-paper/ewp-specs-api-iias, stable-v7), as JSON: each XML element becomes a key of the same name, an
element that may repeat becomes a list. Pure: the caller gives the agreements, their terms and our HEI id.

docs/integration.md ("Agreements in EWP's shape") has the mapping field by field and what is left out;
docs/integration/ewp-iia.schema.json is the JSON Schema of this output, written from the XSD's elements.
Not an EWP node: a live connection to the network needs registration with it and is out of scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from services.placements.models import Agreement, AgreementTerm

SPECS = {"student_studies": "student-studies-mobility-spec", "staff_teaching": "staff-teacher-mobility-spec",
         "staff_training": "staff-training-mobility-spec"}
EQF = {"bachelor": 6, "master": 7, "doctoral": 8}
NAMESPACE = "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/endpoints/get-response.xsd"


def academic_year(day: date) -> int:
    """The first calendar year of the academic year a day falls in (1 September to 31 August): EWP's
    "2031/2032" is 2031."""
    return day.year if day.month >= 9 else day.year - 1


def years(agreement: Agreement, term: AgreementTerm) -> tuple[str, str] | None:
    """The term's first and last academic-year-id: its own years, else those of the agreement's validity; None
    when neither says (a draft without dates: EWP requires both, so the condition is left out)."""
    if term.academic_years:
        firsts = sorted(int(y.split("/")[0]) for y in term.academic_years)
        first, last = firsts[0], firsts[-1]
    elif agreement.valid_from and agreement.valid_to:
        first, last = academic_year(agreement.valid_from), academic_year(agreement.valid_to)
    else:
        return None
    return f"{first}/{first + 1}", f"{last}/{last + 1}"


def hei_of_partner(agreement: Agreement) -> str:
    """The partner's id in the export: EWP wants its SCHAC code, which we do not keep; the applications service's
    partner id stands in, or the agreement's own id for a partner the system does not know yet."""
    return agreement.partner_id or f"unknown-partner.{agreement.id}"


def _contact(contact: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"contact-name": [contact["name"]]}
    if contact.get("email"):
        shown["email"] = [contact["email"]]
    if contact.get("phone"):
        shown["phone-number"] = [{"other-format": contact["phone"]}]
    if contact.get("role"):
        shown["role-description"] = [contact["role"]]
    return shown


def _spec(agreement: Agreement, term: AgreementTerm, ours: str) -> dict[str, Any] | None:
    span = years(agreement, term)
    if span is None or term.places_per_year < 1:  # EWP: both years required, mobilities-per-year positive
        return None
    theirs = hei_of_partner(agreement)
    sending, receiving = (ours, theirs) if term.direction == "outgoing" else (theirs, ours)
    spec: dict[str, Any] = {"sending-hei-id": sending, "receiving-hei-id": receiving,
                            "receiving-first-academic-year-id": span[0],
                            "receiving-last-academic-year-id": span[1],
                            "mobilities-per-year": term.places_per_year}
    if term.languages:
        spec["recommended-language-skill"] = [{"language": lang["language"], "cefr-level": lang["cefr"]}
                                              for lang in term.languages]
    if term.subject_codes:
        spec["subject-area"] = [{"isced-f-code": code} for code in term.subject_codes]
    if term.mobility_type == "student_studies":
        if term.total_months:
            spec["total-months-per-year"] = term.total_months
        spec["blended"] = False  # we do not record blended mobility; EWP requires the flag
        if term.degree_levels:
            spec["eqf-level"] = sorted(EQF[level] for level in term.degree_levels)
    return spec


def iia(agreement: Agreement, terms: Sequence[AgreementTerm], ours: str) -> dict[str, Any]:
    """One agreement as EWP's `iia` element. We are the first partner (EWP: the local HEI first)."""
    local: dict[str, Any] = {"hei-id": ours, "iia-id": agreement.id}
    if agreement.signed_on:
        local["signing-date"] = agreement.signed_on.isoformat()
    partner: dict[str, Any] = {"hei-id": hei_of_partner(agreement)}
    if agreement.contacts:
        partner["contact"] = [_contact(c) for c in agreement.contacts]
    conditions: dict[str, list[dict[str, Any]]] = {}
    for term in sorted(terms, key=lambda t: (list(SPECS).index(t.mobility_type), t.direction, t.id)):
        spec = _spec(agreement, term, ours)
        if spec is not None:
            conditions.setdefault(SPECS[term.mobility_type], []).append(spec)
    return {"partner": [local, partner],
            # EWP: true if the IIA is or once was in effect (signed), false for a draft or proposal
            "in-effect": agreement.status in ("signed", "expired") or (
                agreement.status == "terminated" and agreement.signed_on is not None),
            "cooperation-conditions": conditions,
            # Not EWP's: what its Institutions API or the partner's own copy would say, kept for the reader.
            "x-mobility": {"partner-name": agreement.partner_name, "partner-country": agreement.partner_country,
                           "type": agreement.type, "status": agreement.status,
                           "valid-from": agreement.valid_from.isoformat() if agreement.valid_from else None,
                           "valid-to": agreement.valid_to.isoformat() if agreement.valid_to else None}}


def response(agreements: Iterable[tuple[Agreement, Sequence[AgreementTerm]]], ours: str) -> dict[str, Any]:
    """`iias-get-response` as JSON: one `iia` per agreement, in the order given."""
    return {"iias-get-response": {"xmlns": NAMESPACE, "iia": [iia(a, t, ours) for a, t in agreements]}}
