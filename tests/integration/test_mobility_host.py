"""A student's mobility record learns its host from the placements service's nomination news, on PostgreSQL:
nomination.approved sets the partner, its name and country; a rejected or cancelled nomination clears it; older,
repeated or another nomination's late news changes nothing; news before the record exists is retried."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select

from eventbus import envelope
from eventbus.consumer import apply
from services.mobilities import handlers
from services.mobilities.models import Mobility
from tests.support.mobilities import Mobilities
from tests.support.service import start_service

T0 = datetime(2031, 5, 1, 8, 0, tzinfo=UTC)
TOKYO = {"partner_id": str(uuid.uuid4()), "partner_name": "University of Tokyo", "partner_country": "JP"}
MILAN = {"partner_id": str(uuid.uuid4()), "partner_name": "Politecnico di Milano", "partner_country": "IT"}


@pytest.fixture
def mob(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Mobilities]:
    service = start_service("mobilities", tmp_path, pg_urls["mobilities"])
    yield Mobilities(service)
    service.engine.dispose()


class Nomination:
    """One nomination of a student to a partner, and the nomination.* events placements sends about it."""

    def __init__(self, application_id: str, partner: dict[str, str]) -> None:
        self.id, self.version, self.application_id, self.partner = str(uuid.uuid4()), 1, application_id, partner

    def news(self, status: str, version: int, minutes: int) -> Any:
        """nomination.* data as placements sends it (partner_country included: mobilities shows it)."""
        data = {"nomination_id": self.id, "round_id": str(uuid.uuid4()), "program_id": str(uuid.uuid4()),
                "application_id": self.application_id, **self.partner, "status": status, "version": version}
        event = envelope.new_event(f"nomination.{status}", "/services/placements", self.id, data,
                                   aggregateversion=version)
        # the order placements sent them in
        return CloudEvent({**event.get_attributes(), "time": T0 + timedelta(minutes=minutes)}, data)


def deliver(mob: Mobilities, event: Any) -> None:
    with mob.sessions() as session, session.begin():
        apply(handlers.HANDLERS, session, event)  # validated by the schema, as the consumer does


def host(mob: Mobilities, application_id: str) -> dict[str, Any] | None:
    """The host as the record knows it, checked against what the API shows its owner (list and detail)."""
    with mob.sessions() as session:
        record = session.scalars(select(Mobility).where(Mobility.application_id == application_id)).one()
        known, owner, record_id = record.host, record.owner, record.id
    [listed] = mob.records(owner, application_id)
    detail = mob.get(owner, record_id)
    assert detail.status_code == 200, detail.json
    assert listed["host"] == detail.json["host"] == known
    return known


def student(mob: Mobilities) -> str:
    records = mob.approve(kind="student_exchange", applicant="alice", travellers=[], category=None)
    assert [r["person"]["role"] for r in records] == ["student"]
    return str(records[0]["application_id"])


def test_an_approved_nomination_gives_the_record_its_host_and_a_rejection_takes_it_away(mob: Mobilities) -> None:
    app = student(mob)
    assert host(mob, app) is None
    tokyo = Nomination(app, TOKYO)
    deliver(mob, tokyo.news("nominated", 1, 0))  # mobilities does not listen: no host yet
    deliver(mob, tokyo.news("approved", 2, 1))
    assert host(mob, app) == {"partner_id": TOKYO["partner_id"], "name": "University of Tokyo", "country": "JP"}
    deliver(mob, tokyo.news("approved", 2, 1))  # a repeat
    deliver(mob, tokyo.news("cancelled", 3, 5))
    assert host(mob, app) is None
    deliver(mob, tokyo.news("approved", 2, 1))  # the approval again, late: the cancellation stands
    assert host(mob, app) is None


def test_another_nominations_late_news_does_not_undo_the_newer_one(mob: Mobilities) -> None:
    app = student(mob)
    tokyo, milan = Nomination(app, TOKYO), Nomination(app, MILAN)
    deliver(mob, tokyo.news("rejected", 2, 1))
    deliver(mob, milan.news("approved", 2, 10))
    deliver(mob, tokyo.news("approved", 2, 0))  # Tokyo's older news (it rejected since) arrives last
    assert host(mob, app) == {"partner_id": MILAN["partner_id"], "name": "Politecnico di Milano", "country": "IT"}
    deliver(mob, tokyo.news("cancelled", 3, 20))  # a later end of Tokyo's nomination: not the host's
    assert host(mob, app) is not None and host(mob, app)["name"] == "Politecnico di Milano"  # type: ignore[index]


def test_news_before_the_record_exists_is_retried(mob: Mobilities) -> None:
    with pytest.raises(handlers.RecordsNotYetKnown):
        deliver(mob, Nomination(str(uuid.uuid4()), TOKYO).news("approved", 2, 0))
