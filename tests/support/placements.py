"""The placements service under test: its app on a fresh PostgreSQL database, called with the demo accounts'
tokens (alice and bob students, coord.cs, icd.officer, admin ...), fed news through its handlers as the consumer
would (program.saved, application.approved with its `selection` block, withdrawn, cancelled), and read with SQL.

Use the `placements` fixture: `from tests.support.placements import placements_fixture  # noqa: F401`.
Bodies: `program(...)` (a program.saved data), `approved(...)` (an application.approved data of a student exchange),
`withdrawn(approved)` and `cancelled(approved)`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from eventbus import envelope
from eventbus.consumer import apply
from gateway.demo import ACCOUNTS
from tests.support.service import ServiceCaller, start_service

APPLICATIONS = "/services/applications"
# two partners every test program has unless told otherwise: (partner_id, name, country, region)
TUM = {"partner_id": "5d1f0c0e-1b7a-4a55-9f1e-000000000001", "name": "TU Munich", "country": "DE", "region": "europe"}
NUS = {"partner_id": "5d1f0c0e-1b7a-4a55-9f1e-000000000002", "name": "NUS", "country": "SG", "region": "asean"}


def program(program_id: str | None = None, partners: list[dict[str, Any]] | None = None, **fields: Any
            ) -> dict[str, Any]:
    """A program.saved data: a student exchange program whose window closed on 2031-03-31 (Shanghai)."""
    return {"program_id": program_id or str(uuid.uuid4()), "code": "EX-2031", "name": "Exchange 2031 fall",
            "kind": "student_exchange", "seats": 10, "opens_at": "2031-03-01T00:00:00+08:00",
            "closes_at": "2031-03-31T23:59:00+08:00",
            "partners": partners if partners is not None else [TUM, NUS], **fields}


def approved(program_id: str, applicant: str = "alice", application_id: str | None = None,
             choices: list[dict[str, Any]] | None = None, gpa: str = "3.52",
             language: tuple[str, str] = ("IELTS", "7.0"), **fields: Any) -> dict[str, Any]:
    """An application.approved data of a student exchange with its `selection` block (first choice first)."""
    full, school, locale, _ = ACCOUNTS.get(applicant, (applicant, "cs", "zh", []))
    picked = choices if choices is not None else [TUM, NUS]
    return {"application_id": application_id or str(uuid.uuid4()), "kind": "student_exchange",
            "applicant": applicant, "applicant_name": full, "applicant_email": f"{applicant}@demo.mobility.local",
            "locale": locale, "school": school or "cs", "program_id": program_id, "program_name": "Exchange 2031 fall",
            "title": "Exchange 2031 fall", "version": 1, "status": "approved",
            "submitted_at": "2031-03-20T10:00:00+00:00", "decided_at": "2031-04-02T10:00:00+00:00", "comment": None,
            "selection": {"choices": [{k: c[k] for k in ("partner_id", "name", "country")} for c in picked],
                          "gpa": gpa, "language": {"type": language[0], "score": language[1]}, "term": "2031-fall"},
            **fields}


def withdrawn(application: dict[str, Any]) -> dict[str, Any]:
    """The application.withdrawn data of an `approved(...)` application."""
    return {**application, "status": "withdrawn", "withdrawn_at": "2031-04-05T09:00:00+00:00",
            "previous_status": "approved"}


def cancelled(application: dict[str, Any], by: str = "icd.officer") -> dict[str, Any]:
    """The application.cancelled data of an `approved(...)` application (the office cancelled it)."""
    return {**application, "status": "cancelled", "cancelled_at": "2031-04-05T09:00:00+00:00", "cancelled_by": by,
            "reason": "The student gave up the exchange."}


class Placements(ServiceCaller):
    """Calls with the demo accounts' tokens and reads (tests.support.service); news delivered; SQL writes."""

    audience = "placements"

    def deliver(self, event_type: str, data: dict[str, Any], revision: int = 1, subject: str | None = None,
                source: str = APPLICATIONS) -> None:
        """An event applied through the service's handlers, as its consumer would (inbox included)."""
        from services.placements import handlers

        event = envelope.new_event(event_type, source, subject or data.get("application_id") or data["program_id"],
                                   data, aggregateversion=revision)
        with self.sessions() as session, session.begin():
            apply(handlers.HANDLERS, session, event)

    def add_program(self, revision: int = 1, **fields: Any) -> dict[str, Any]:
        """program.saved delivered; the program's data."""
        data = program(**fields)
        self.deliver("program.saved", data, revision=revision)
        return data

    def add_candidate(self, program_id: str, revision: int = 1, **fields: Any) -> dict[str, Any]:
        """application.approved of a student exchange delivered; the application's data."""
        data = approved(program_id, **fields)
        self.deliver("application.approved", data, revision=revision)
        return data

    def execute(self, sql: str, **params: Any) -> None:
        """A direct write (a test's setup only: an agreement before the agreements API exists, say)."""
        with self.engine.begin() as c:
            c.execute(text(sql), params)


@pytest.fixture(name="placements")
def placements_fixture(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Placements]:
    service = start_service("placements", tmp_path, pg_urls["placements"])
    yield Placements(service)
    service.engine.dispose()
