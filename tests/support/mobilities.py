"""The mobilities service under test: its app on a real database, called with demo accounts' tokens, fed
application news through its handlers as the consumer would, and swept with a clock the test sets."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from chassis.db import make_sessionmaker
from chassis.tokens import Identity
from eventbus import envelope
from eventbus.consumer import apply
from gateway.demo import ACCOUNTS
from services.mobilities import deadlines, handlers
from tests.support.service import ServiceUnderTest

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
GROUP = [{"name": "Li Wei", "staff_number": "19990012", "role": "leader"},
         {"name": "Zhao Min", "staff_number": "20100345", "role": "member"},
         {"name": "Sun Hao", "staff_number": "20150678", "role": "member"}]


def approval(kind: str = "faculty_exchange", applicant: str = "prof.li", school: str = "cs",
             travellers: list[dict[str, Any]] | None = None, start: str = "2027-03-10", end: str = "2027-03-14",
             category: str | None = "general", application_id: str | None = None) -> dict[str, Any]:
    """application.approved's data as applications sends it."""
    name = ACCOUNTS.get(applicant, (applicant,))[0]
    return {"application_id": application_id or str(uuid.uuid4()), "kind": kind, "applicant": applicant,
            "applicant_name": name, "applicant_email": f"{applicant}@demo.mobility.local", "locale": "zh",
            "school": school, "program_id": None, "program_name": None, "title": f"{kind} of {name}", "version": 1,
            "status": "approved", "decided_at": datetime.now(UTC).isoformat(), "comment": None,
            "category": category, "travellers": travellers if travellers is not None else GROUP,
            "mobility": {"direction": "outbound", "people": len(travellers or GROUP), "partner_id": None,
                         "partner_name": "Politecnico di Milano", "country": "IT", "region": "europe",
                         "start_date": start, "end_date": end, "duration_days": 5,
                         "duration_band": "two_weeks_or_less", "academic_year": 2026}}


class Mobilities:
    def __init__(self, service: ServiceUnderTest) -> None:
        self.client, self.signer, self.engine = service.client, service.signer, service.engine
        self.sessions = make_sessionmaker(service.engine)

    def call(self, user: str, method: str, path: str, roles: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
        full, school, _, demo_roles = ACCOUNTS.get(user, (user, "cs", "zh", []))
        who = Identity(username=user, roles=roles if roles is not None else demo_roles, school=school, name=full)
        token = self.signer.sign(who, "mobilities", 60)
        return self.client.open(f"/api/v1/mobilities{path}", method=method,
                                headers={"Authorization": f"Bearer {token}"}, **kw)

    def deliver(self, event_type: str, data: dict[str, Any], revision: int = 5) -> None:
        event = envelope.new_event(event_type, "/services/applications", data["application_id"], data,
                                   aggregateversion=revision)
        with self.sessions() as session, session.begin():
            apply(handlers.HANDLERS, session, event)

    def approve(self, **kw: Any) -> list[dict[str, Any]]:
        data = approval(**kw)
        self.deliver("application.approved", data)
        return self.records(data["applicant"], data["application_id"])

    def records(self, user: str, application_id: str) -> list[dict[str, Any]]:
        response = self.call(user, "GET", f"?application_id={application_id}")
        assert response.status_code == 200, response.json
        return response.json["items"]  # type: ignore[no-any-return]

    def get(self, user: str, mobility_id: str) -> Any:
        return self.call(user, "GET", f"/{mobility_id}")

    def post(self, user: str, mobility_id: str, path: str, body: Any = None) -> Any:
        return self.call(user, "POST", f"/{mobility_id}{path}", json=body if body is not None else {})

    def upload(self, user: str, mobility_id: str, file_type: str, content: bytes = PNG,
               name: str = "photo.png") -> Any:
        return self.call(user, "POST", f"/{mobility_id}/files",
                         data={"file_type": file_type, "file": (io.BytesIO(content), name)},
                         content_type="multipart/form-data")

    def sweep(self, when: str) -> dict[str, int]:
        with self.sessions() as session, session.begin():
            return deadlines.check(session, datetime.fromisoformat(when), "Asia/Shanghai")

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """The data of each event of that type in the outbox, oldest first."""
        with self.engine.connect() as c:
            rows = c.execute(text("SELECT body FROM outbox WHERE type = :t ORDER BY id"), {"t": event_type})
            return [json.loads(body)["data"] for (body,) in rows]

    def count(self, sql: str, **params: Any) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(text(sql), params))
