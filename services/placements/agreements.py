"""The rules of the agreements register, pure (no I/O, no clock): which status changes are allowed, what a signed
agreement must say, when one is about to end or has ended, and how an agreement reads (for the API, for its event).

An agreement's life: draft → signed (the scan may follow) → expired (the sweep, past `valid_to`) or terminated (the
office ends it early). A draft may be dropped (terminated); an expired agreement may be signed again with a later
end (a renewal); a terminated one is final. A signed agreement names its signing date and its validity, so its
places can be counted (places.py) and its end reminded (agreement_reminders.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from services.placements.models import Agreement, AgreementTerm

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("signed", "terminated"),
    "signed": ("expired", "terminated"),
    "expired": ("signed", "terminated"),
    "terminated": (),
}
TERM_FIELDS = ("direction", "mobility_type", "places_per_year", "total_months", "subject_codes", "degree_levels",
               "languages", "academic_years")
# What a PATCH may change on the agreement's own row (terms and contacts are replaced as wholes).
CHANGEABLE = ("partner_id", "partner_name", "partner_country", "type", "status", "signed_on", "valid_from",
              "valid_to", "contacts")


def problems(values: Mapping[str, Any], current: str | None = None) -> dict[str, list[str]]:
    """Field errors of an agreement as it would stand (`values`: every field after the change); `current` is the
    stored status (None: a new agreement). Empty: it may be stored."""
    found: dict[str, list[str]] = {}
    status = values.get("status", "draft")
    if current is None and status not in ("draft", "signed"):
        found["status"] = ["A new agreement is a draft or signed."]
    elif current is not None and status != current and status not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current]) or "none"
        found["status"] = [f"A {current} agreement cannot become {status} (allowed: {allowed})."]
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end and end < start:
        found["valid_to"] = ["Must not be before valid_from."]
    if status == "signed":
        for name in ("signed_on", "valid_from", "valid_to"):
            if not values.get(name):
                found.setdefault(name, []).append("A signed agreement names it.")
    for n, term in enumerate(values.get("terms") or ()):
        years = [int(y.split("/")[0]) for y in term.get("academic_years") or ()]
        if len(set(years)) != len(years):
            found[f"terms.{n}.academic_years"] = ["Names a year twice."]
        kinds = [lang["language"] for lang in term.get("languages") or ()]
        if len(set(kinds)) != len(kinds):
            found[f"terms.{n}.languages"] = ["Names a language twice."]
    return found


def expiring(agreement: Agreement, today: date, days: int) -> bool:
    """A signed agreement ending within `days` from `today` (inclusive) and not yet reminded for this end date."""
    return (agreement.status == "signed" and agreement.valid_to is not None
            and today <= agreement.valid_to <= today + timedelta(days=days)
            and agreement.reminder_sent_for != agreement.valid_to)


def ended(agreement: Agreement, today: date) -> bool:
    """A signed agreement whose last valid day has passed."""
    return agreement.status == "signed" and agreement.valid_to is not None and agreement.valid_to < today


def term_json(term: AgreementTerm) -> dict[str, Any]:
    return {"id": term.id, **{name: getattr(term, name) for name in TERM_FIELDS}}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def shown(agreement: Agreement, terms: Sequence[AgreementTerm]) -> dict[str, Any]:
    """The agreement as the API returns it: its terms and contacts nested, the scan's facts (never its path)."""
    return {"id": agreement.id, "partner_id": agreement.partner_id, "partner_name": agreement.partner_name,
            "partner_country": agreement.partner_country, "type": agreement.type, "status": agreement.status,
            "signed_on": agreement.signed_on, "valid_from": agreement.valid_from, "valid_to": agreement.valid_to,
            "contacts": list(agreement.contacts or []), "terms": [term_json(t) for t in terms],
            "document": _document(agreement.document), "reminder_sent_for": agreement.reminder_sent_for,
            "created_by": agreement.created_by, "created_at": agreement.created_at,
            "updated_at": agreement.updated_at, "version": agreement.version}


def _document(document: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not document:
        return None
    return {k: document.get(k) for k in ("filename", "content_type", "size", "sha256", "uploaded_at")}


def event_data(agreement: Agreement, terms: Iterable[AgreementTerm], change: str) -> dict[str, Any]:
    """agreement.saved's data (public): the agreement and its terms, whether a scan is kept, and what happened
    (`change`: created, changed, document, expired). No contacts: they are people outside the university."""
    return {"agreement_id": agreement.id, "partner_id": agreement.partner_id,
            "partner_name": agreement.partner_name, "partner_country": agreement.partner_country,
            "type": agreement.type, "status": agreement.status, "signed_on": _day(agreement.signed_on),
            "valid_from": _day(agreement.valid_from), "valid_to": _day(agreement.valid_to),
            "has_document": bool(agreement.document), "change": change,
            "terms": [{name: getattr(t, name) for name in TERM_FIELDS} for t in terms]}


def expiring_data(agreement: Agreement, today: date) -> dict[str, Any]:
    """agreement.expiring's data (private: for the ICD's reminder)."""
    assert agreement.valid_to is not None
    return {"agreement_id": agreement.id, "partner_id": agreement.partner_id,
            "partner_name": agreement.partner_name, "partner_country": agreement.partner_country,
            "type": agreement.type, "status": agreement.status, "valid_to": agreement.valid_to.isoformat(),
            "days_left": (agreement.valid_to - today).days}
