"""The mail catcher (MOBILITY_SMTP_HOST=catch) and the admins' list of outgoing messages, on PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading

from services.notifications.channels.email import CHANNEL as EMAIL
from services.notifications.channels.email import Catcher
from tests.integration.test_notifications import (  # noqa: F401  (nt is a fixture)
    NOTIFIED,
    Notifications,
    _application_event,
    nt,
)


def _catching(nt: Notifications) -> int:  # noqa: F811  (the fixture)
    settings = dataclasses.replace(nt.settings, smtp_host="catch")
    sender = EMAIL.worker(settings, nt.engine, threading.Event())
    assert isinstance(sender.transport, Catcher)
    return sender.send_due()


def test_the_catcher_marks_mail_sent_without_a_server_and_admins_read_it(nt: Notifications) -> None:  # noqa: F811  (the fixture)
    for who in ("alice", "bob"):
        nt.deliver(_application_event("application.rejected", who, **NOTIFIED["application.rejected"]))
    assert _catching(nt) == 2  # nothing listens on MOBILITY_SMTP_PORT's host here: no server was asked
    page = nt.call("admin", "GET", "/api/v1/notifications/outgoing?channel=email")
    assert page.status_code == 200
    mails = page.json["items"]
    assert {m["address"] for m in mails} == {"alice@example.org", "bob@example.org"}
    assert all(m["status"] == "sent" and m["sent_at"] and m["subject"] and "No seats left." in m["body"]
               for m in mails)


def test_only_admins_read_outgoing_messages(nt: Notifications) -> None:  # noqa: F811  (the fixture)
    nt.deliver(_application_event("application.submitted", "alice", **NOTIFIED["application.submitted"]))
    for who in ("alice", "bob", "coord.cs", "icd.officer"):
        answer = nt.call(who, "GET", "/api/v1/notifications/outgoing")
        assert answer.status_code == 403, who
        assert answer.content_type == "application/problem+json"
    assert len(nt.call("admin", "GET", "/api/v1/notifications/outgoing").json["items"]) == 1


def test_outgoing_pages_newest_first_and_refuse_the_inbox(nt: Notifications) -> None:  # noqa: F811  (the fixture)
    for _ in range(3):
        nt.deliver(_application_event("application.submitted", "alice", **NOTIFIED["application.submitted"]))
    first = nt.call("admin", "GET", "/api/v1/notifications/outgoing?limit=2")
    assert len(first.json["items"]) == 2 and 'rel="next"' in first.headers["Link"]
    following = first.headers["Link"].split(">")[0].lstrip("<")
    rest = nt.call("admin", "GET", following).json["items"]
    assert len(rest) == 1
    seen = [m["id"] for m in first.json["items"] + rest]
    assert len(set(seen)) == 3
    assert nt.call("admin", "GET", "/api/v1/notifications/outgoing?channel=inbox").status_code == 422
    assert nt.call("admin", "GET", "/api/v1/notifications/outgoing?cursor=nonsense").status_code == 422
