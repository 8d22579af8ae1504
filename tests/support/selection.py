"""A selection ready to run on an embedded system (pages' and browser tests of issue 20): a student exchange program
with 4 partners whose window has closed, one place at each, a signed agreement with a nominations contact per
partner, and five approved candidates (alice, bob and dana of the CS school, chen and evan of ME) with their
choices, grades and language tests; optionally its selection round opened.

Built fast: the program and the approvals reach the placements service through its own event handlers (as its
consumer would apply program.saved and application.approved), the agreements, places and round through the API.
Alice has the best grades and language test, so she heads the ranking whatever interview scores the others get
below hers, and her first choice (TU Munich) is hers in the first run.
"""

from __future__ import annotations

import json
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from chassis import signed_links
from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from mobility.embedded import Embedded
from tests.support.placements import APPLICATIONS, approved, program

PARTNERS = [
    {"partner_id": str(uuid.UUID(int=0x5E1EC7 << 64 | n)), "name": name, "country": country, "region": region}
    for n, (name, country, region) in enumerate([("TU Munich", "DE", "europe"), ("NUS", "SG", "asean"),
                                                 ("Sorbonne University", "FR", "europe"),
                                                 ("University of Tokyo", "JP", "other")], start=1)]
# applicant, gpa, language, choices (indexes into PARTNERS, first choice first)
CANDIDATES = [("alice", "3.90", ("IELTS", "8.0"), (0, 1, 2)), ("bob", "3.60", ("IELTS", "7.0"), (0, 2, 1)),
              ("dana", "3.40", ("TOEFL", "100"), (1, 0)), ("chen", "3.50", ("CET-6", "600"), (0, 3)),
              ("evan", "3.20", ("IELTS", "6.5"), (2, 3))]
NAMES = {"dana": ("Dana Liu", "cs", "zh"), "evan": ("Evan Zhou", "me", "en")}  # not demo accounts: rows only


@dataclass
class Selection:
    program_id: str
    name: str
    partners: list[dict[str, Any]]
    candidates: dict[str, str] = field(default_factory=dict)  # applicant → application id
    round_id: str | None = None


# One token per gateway and user: the token endpoint counts against the sign-in rate limit of 127.0.0.1, which the
# browser tests' own sign-ins share (30 a minute), so a seed must not spend one per call.
_TOKENS: weakref.WeakKeyDictionary[Flask, dict[str, str]] = weakref.WeakKeyDictionary()


def _token(client: FlaskClient, username: str) -> str:
    tokens = _TOKENS.setdefault(client.application, {})
    if username not in tokens:
        reply = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
        tokens[username] = str(reply.get_json()["access_token"])
    return tokens[username]


def api(system: Embedded, username: str, method: str, path: str, **kwargs: Any) -> Any:
    """The gateway's API as `username` (a demo account)."""
    client = system.gateway.test_client()
    return client.open(path, method=method, headers={"Authorization": f"Bearer {_token(client, username)}"},
                       **kwargs)


def _deliver(system: Embedded, event_type: str, data: dict[str, Any], subject: str) -> None:
    from services.placements import handlers

    event = envelope.new_event(event_type, APPLICATIONS, subject, data, aggregateversion=1)
    with make_sessionmaker(system.engines["placements"])() as session, session.begin():
        apply(handlers.HANDLERS, session, event)


def seed(system: Embedded, open_round: bool = True, name: str | None = None) -> Selection:
    """A fresh program (its own partners' places, its own candidates) each call; its round opened unless told."""
    program_id = str(uuid.uuid4())
    title = name or f"Exchange {program_id[:4]}"
    _deliver(system, "program.saved", program(program_id, partners=PARTNERS, name=title,
                                               closes_at="2025-03-31T23:59:00+08:00",
                                               opens_at="2025-03-01T00:00:00+08:00"), program_id)
    chosen = Selection(program_id, title, PARTNERS)
    for n, (applicant, gpa, language, picks) in enumerate(CANDIDATES):
        extra: dict[str, Any] = {}
        if applicant in NAMES:
            full, school, locale = NAMES[applicant]
            extra = {"applicant_name": full, "school": school, "locale": locale}
        data = approved(program_id, applicant=applicant, choices=[PARTNERS[i] for i in picks], gpa=gpa,
                        language=language, submitted_at=f"2025-03-2{n}T10:00:00+00:00", program_name=title, **extra)
        _deliver(system, "application.approved", data, data["application_id"])
        chosen.candidates[applicant] = data["application_id"]
    for partner in PARTNERS:
        reply = api(system, "icd.officer", "PUT", f"/api/v1/places/{program_id}/{partner['partner_id']}",
                    json={"places": 1})
        assert reply.status_code == 200, reply.get_json()
        if _has_contact(system, partner["partner_id"]):
            continue
        made = api(system, "icd.officer", "POST", "/api/v1/agreements", json={
            "partner_id": partner["partner_id"], "partner_name": partner["name"], "partner_country": partner["country"],
            "type": "student_exchange", "status": "signed", "signed_on": "2024-03-01", "valid_from": "2024-09-01",
            "valid_to": "2040-08-31", "terms": [{"direction": "outgoing", "mobility_type": "student_studies",
                                                  "places_per_year": 1}],
            "contacts": [{"name": "Anna Schmidt", "email": f"exchange@{partner['country'].lower()}.partner.example",
                          "role": "nominations"}]})
        assert made.status_code == 201, made.get_json()
    if open_round:
        opened = api(system, "icd.officer", "POST", "/api/v1/selection-rounds", json={"program_id": program_id})
        assert opened.status_code == 201, opened.get_json()
        chosen.round_id = opened.get_json()["id"]
    return chosen


def _has_contact(system: Embedded, partner_id: str) -> bool:
    with system.engines["placements"].connect() as c:
        return bool(c.scalar(text("SELECT count(*) FROM agreements WHERE partner_id = :p AND status = 'signed'"),
                             {"p": partner_id}))


def partner_link(system: Embedded, nomination_id: str) -> str:
    """The partner's signed link of a nomination, as notifications mints it into its e-mail from the private
    event (which carries the nonce, never the link)."""
    with system.engines["placements"].connect() as c:
        rows = c.execute(text("SELECT body FROM outbox WHERE type = 'nomination.link_issued' ORDER BY id DESC"))
        for (body,) in rows:
            data = json.loads(body)["data"]
            if data.get("nomination_id", data.get("id")) == nomination_id:
                return signed_links.partner_answer_url(
                    system.settings.public_base_url, signed_links.load_keyring(system.settings.partner_link_keys_file),
                    nomination_id, data["link_nonce"])
    raise AssertionError(f"no link issued for nomination {nomination_id}")
