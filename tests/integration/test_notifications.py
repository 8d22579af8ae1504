"""The notifications service on PostgreSQL: mail in both languages, the inbox, webhooks, the event feed."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from standardwebhooks import Webhook

from chassis.db import make_sessionmaker
from chassis.settings import Settings
from chassis.tokens import Identity, Signer
from eventbus import envelope
from eventbus.consumer import apply
from mobility import registry
from services.notifications import dispatcher, rules
from services.notifications.channels.email import CHANNEL as EMAIL
from services.notifications.handlers import handlers_for
from services.notifications.sender import Sender
from tests.support.service import start_service
from tests.support.smtp import SmtpSink

PEOPLE = {  # username: (locale, roles)
    "alice": ("en", [{"role": "student", "school": "cs"}]),
    "bob": ("zh", [{"role": "student", "school": "cs"}]),
    "coord.cs": ("zh", [{"role": "school_coordinator", "school": "cs"}]),
    "icd.officer": ("en", [{"role": "icd_officer", "school": None}]),
    "admin": ("en", [{"role": "admin", "school": None}]),
}


class Notifications:
    def __init__(self, client: Any, signer: Signer, engine: Any, settings: Settings) -> None:
        self.client, self.signer, self.engine, self.settings = client, signer, engine, settings
        self.sessions = make_sessionmaker(engine)
        self.handlers = handlers_for(settings)

    def call(self, user: str, method: str, path: str, **kw: Any) -> Any:
        locale, roles = PEOPLE[user]
        who = Identity(username=user, roles=roles, school="cs", locale=locale)
        return self.client.open(path, method=method,
                                headers={"Authorization": f"Bearer {self.signer.sign(who, 'notifications', 60)}"}, **kw)

    def deliver(self, event: Any) -> None:
        with self.sessions() as session, session.begin():
            apply(self.handlers, session, event)

    def count(self, sql: str, **params: Any) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(text(sql), params))


@pytest.fixture
def nt(tmp_path: Path, pg_urls: dict[str, str], smtp: SmtpSink):  # type: ignore[no-untyped-def]
    service = start_service(
        "notifications", tmp_path, pg_urls["notifications"], MOBILITY_SMTP_PORT=str(smtp.port),
        MOBILITY_WEBHOOKS_ALLOW_PRIVATE="true", MOBILITY_WEBHOOK_DISABLE_AFTER="3",
        MOBILITY_PUBLIC_BASE_URL="https://mobility.example.edu")
    n = Notifications(service.client, service.signer, service.engine, service.settings)
    engine = service.engine
    for user, (locale, roles) in PEOPLE.items():
        n.deliver(envelope.new_event("user.registered", "/services/gateway", user, {
            "username": user, "email": f"{user}@example.org", "locale": locale, "roles": roles, "school": "cs"}))
    yield n
    engine.dispose()


def _application_event(event_type: str, applicant: str = "alice", **extra: Any) -> Any:
    app_id = str(uuid.uuid4())
    return envelope.new_event(event_type, "/services/applications", app_id, {
        "application_id": app_id, "kind": "student_exchange", "applicant": applicant, "applicant_name": applicant,
        "applicant_email": "", "locale": PEOPLE[applicant][0], "school": "cs", "program_id": None,
        "title": "Berlin 2031",
        "version": 2, "status": event_type.split(".")[1], **extra})


NOTIFIED = {
    "application.submitted": {"submitted_at": "2031-01-01T00:00:00+00:00"},
    "application.resubmitted": {"submitted_at": "2031-01-01T00:00:00+00:00"},
    "application.withdrawn": {"withdrawn_at": "2031-01-01T00:00:00+00:00"},
    "application.changes_requested": {"decided_at": "2031-01-01T00:00:00+00:00", "comment": "Add a transcript."},
    "application.approved": {"decided_at": "2031-01-01T00:00:00+00:00", "comment": None},
    "application.rejected": {"decided_at": "2031-01-01T00:00:00+00:00", "comment": "No seats left."},
}


@pytest.mark.parametrize("event_type", sorted(NOTIFIED))
def test_the_applicant_gets_one_mail_in_their_language_for_each_step(
    nt: Notifications, smtp: SmtpSink, event_type: str
) -> None:
    english, chinese = (_application_event(event_type, who, **NOTIFIED[event_type]) for who in ("alice", "bob"))
    nt.deliver(english)
    nt.deliver(chinese)
    with pytest.raises(IntegrityError):  # a copy that got past the inbox still adds nothing
        nt.deliver(english)
    assert EMAIL.worker(nt.settings, nt.engine, threading.Event()).send_due() == 2
    assert EMAIL.worker(nt.settings, nt.engine, threading.Event()).send_due() == 0
    for who, event, chinese_text in (("alice", english, False), ("bob", chinese, True)):
        mails = [m for m in smtp.to(f"{who}@example.org")
                 if event.get_subject() in m.get_body(("plain",)).get_content()]
        assert len(mails) == 1, (who, event_type)
        assert any("\u4e00" <= c <= "\u9fff" for c in mails[0]["Subject"]) is chinese_text, mails[0]["Subject"]
        html = mails[0].get_body(("html",)).get_content()
        assert f"https://mobility.example.edu/applications/{event.get_subject()}" in html
    assert nt.count("SELECT count(*) FROM notifications WHERE channel = 'inbox'") == 2


def test_one_cannot_read_or_mark_anothers_notifications(nt: Notifications) -> None:
    nt.deliver(_application_event("application.submitted", "alice", **NOTIFIED["application.submitted"]))
    mine = nt.call("alice", "GET", "/api/v1/notifications").json
    assert mine["unread"] == 1
    note = mine["items"][0]["id"]
    assert nt.call("bob", "GET", "/api/v1/notifications").json == {"unread": 0, "items": []}
    assert nt.call("bob", "POST", f"/api/v1/notifications/{note}/read").status_code == 404
    assert nt.call("bob", "POST", "/api/v1/notifications/read-all").json == {"marked": 0}
    assert nt.call("alice", "GET", "/api/v1/notifications").json["unread"] == 1
    assert nt.call("alice", "POST", f"/api/v1/notifications/{note}/read").json["read_at"]
    assert nt.call("alice", "GET", "/api/v1/notifications").json["unread"] == 0


def test_the_feed_returns_every_event_once_in_order_across_pages(nt: Notifications) -> None:
    events = [_application_event("application.submitted", **NOTIFIED["application.submitted"]) for _ in range(7)]
    events.insert(3, _application_event("application.approved", **NOTIFIED["application.approved"]))
    for event in events:
        nt.deliver(event)
    seen, cursor = [], None
    while True:
        page = nt.call("icd.officer", "GET", "/api/v1/events?limit=3" + (f"&after={cursor}" if cursor else "")).json
        if not page["items"]:
            break
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [e.get_id() for e in events]
    approved = nt.call("icd.officer", "GET", "/api/v1/events?type=application.approved").json["items"]
    assert [e["id"] for e in approved] == [events[3].get_id()]
    assert len(nt.call("icd.officer", "GET", "/api/v1/events?type=application.*&limit=100").json["items"]) == 8
    assert "user.registered" not in {e["type"] for e in nt.call("admin", "GET", "/api/v1/events").json["items"]}
    assert nt.call("icd.officer", "GET", "/api/v1/events?after=bm9wZQ").status_code == 422
    assert nt.call("icd.officer", "GET", "/api/v1/events?after=ZmVlZDo5OTk5OQ").status_code == 422  # feed:99999
    assert nt.call("alice", "GET", "/api/v1/events").status_code == 403


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        code = Receiver.answers.pop(0) if Receiver.answers else 204
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    Receiver.answers, Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks"
    server.shutdown()


def _subscribe(nt: Notifications, url: str, patterns: list[str]) -> dict[str, Any]:
    r = nt.call("admin", "POST", "/api/v1/subscriptions", json={"url": url, "patterns": patterns})
    assert r.status_code == 201, r.json
    return r.json  # type: ignore[no-any-return]


def _tick(nt: Notifications, at: datetime) -> int:
    return dispatcher.deliver_due(nt.sessions, nt.settings, at)


def test_webhooks_are_signed_retried_on_500_not_on_400_and_disabled_after_a_run(
    nt: Notifications, receiver: str
) -> None:
    sub = _subscribe(nt, receiver, ["application.*"])
    assert nt.call("bob", "GET", "/api/v1/subscriptions").status_code == 403
    submitted = _application_event("application.submitted", **NOTIFIED["application.submitted"])
    nt.deliver(submitted)
    nt.deliver(envelope.new_event("review.task_claimed", "/services/reviews", "x", {
        "task_id": str(uuid.uuid4()), "application_id": str(uuid.uuid4()), "application_version": 2,
        "kind": "student_exchange", "level": 1, "role": "school_coordinator", "school": "cs", "applicant": "alice",
        "due_at": "2031-01-01T00:00:00+00:00", "claimed_by": "coord.cs"}))  # no matching pattern: not sent

    now = datetime.now(UTC)
    Receiver.answers = [500, 200]
    assert _tick(nt, now) == 1
    assert _tick(nt, now) == 0  # not due again yet
    assert _tick(nt, now + timedelta(seconds=3)) == 1  # retried after the backoff
    headers, body = Receiver.received[-1]
    assert len(Receiver.received) == 2
    event = Webhook(sub["secret"]).verify(body, headers)  # raises if the signature is wrong
    assert event["id"] == submitted.get_id() and headers["webhook-id"] == submitted.get_id()
    log = nt.call("admin", "GET", f"/api/v1/subscriptions/{sub['id']}/deliveries").json
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 2, 200)]

    Receiver.answers = [400]
    nt.deliver(_application_event("application.approved", **NOTIFIED["application.approved"]))
    assert _tick(nt, now + timedelta(seconds=10)) == 1
    assert _tick(nt, now + timedelta(hours=1)) == 0  # a 400 is not retried
    assert nt.call("admin", "GET", f"/api/v1/subscriptions/{sub['id']}/deliveries").json[0]["status"] == "failed"

    nt.call("admin", "PATCH", f"/api/v1/subscriptions/{sub['id']}", json={"active": True})  # resets the run
    Receiver.answers = [500, 503, 500]
    nt.deliver(_application_event("application.rejected", **NOTIFIED["application.rejected"]))
    for step in range(2):
        _tick(nt, now + timedelta(hours=2 + step))
    assert nt.call("admin", "GET", f"/api/v1/subscriptions/{sub['id']}").json["active"] is True  # 2 of 3
    _tick(nt, now + timedelta(hours=4))
    state = nt.call("admin", "GET", f"/api/v1/subscriptions/{sub['id']}").json
    assert state["active"] is False and state["disabled_at"]
    assert nt.count("SELECT count(*) FROM notifications WHERE recipient = 'admin' AND event_type = 'webhook.disabled'"
                    " AND channel = 'inbox'") == 1
    sent_before = len(Receiver.received)
    quiet = _application_event("application.submitted", **NOTIFIED["application.submitted"])
    nt.deliver(quiet)
    _tick(nt, now + timedelta(hours=9))
    assert len(Receiver.received) == sent_before  # disabled: nothing more is sent
    assert nt.count("SELECT count(*) FROM deliveries WHERE event_id = :e", e=quiet.get_id()) == 0


def test_a_ping_is_signed_and_reported(nt: Notifications, receiver: str) -> None:
    sub = _subscribe(nt, receiver, ["*"])
    pong = nt.call("admin", "POST", f"/api/v1/subscriptions/{sub['id']}/ping").json
    assert pong == {"outcome": "delivered", "status_code": 204, "error": None}
    headers, body = Receiver.received[-1]
    assert Webhook(sub["secret"]).verify(body, headers)["type"] == "mobility.ping"


def test_private_and_loopback_targets_are_refused_unless_allowed(nt: Notifications, tmp_path: Path) -> None:
    strict = Settings.from_env({**{k: v for k, v in {
        "MOBILITY_VAR_DIR": str(tmp_path), "MOBILITY_NOTIFICATIONS_DATABASE_URL": nt.engine.url.render_as_string(False),
    }.items()}})
    app = registry.create_app("notifications", strict)
    who = Identity(username="admin", roles=[{"role": "admin", "school": None}])
    auth = {"Authorization": f"Bearer {nt.signer.sign(who, 'notifications', 60)}"}
    for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest",
                "ftp://example.org/x"):
        r = app.test_client().post("/api/v1/subscriptions", headers=auth, json={"url": url, "patterns": ["*"]})
        assert r.status_code == 422, url
    assert nt.count("SELECT count(*) FROM subscriptions") == 0
    bad_secret = app.test_client().post("/api/v1/subscriptions", headers=auth, json={
        "url": "https://example.org/x", "patterns": ["*"], "secret": "whsec_" + "A" * 25})
    assert bad_secret.status_code == 422 and "secret" in bad_secret.json["errors"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.8", "169.254.169.254", "::1", "::ffff:127.0.0.1",
                                     "64:ff9b::7f00:1", "2002:7f00:1::", "fd00::1"])
def test_non_public_addresses_are_refused_in_every_spelling(address: str) -> None:
    from services.notifications.webhooks import TargetRefused, check_target

    host = f"[{address}]" if ":" in address else address
    with pytest.raises(TargetRefused):
        check_target(f"http://{host}/hook", allow_private=False)


def test_a_hostname_is_checked_again_when_sending(nt: Notifications) -> None:
    from services.notifications.webhooks import send

    attempt = send("http://localhost:9/hook", "whsec_" + "QUJD" * 8, "e1", "{}", allow_private=False)
    assert attempt.outcome == "failed" and "non-public" in (attempt.error or "")


def _task_event(event_type: str, **extra: Any) -> Any:
    return envelope.new_event(event_type, "/services/reviews", "x", {
        "task_id": str(uuid.uuid4()), "application_id": str(uuid.uuid4()), "application_version": 2,
        "kind": "faculty_exchange", "level": 1, "role": "school_coordinator", "school": "cs", "applicant": "bob",
        "title": "A trip", "due_at": "2031-01-01T00:00:00+00:00", **extra})


@pytest.mark.parametrize(("event_type", "extra", "expected"), [
    ("review.task_created", {}, {"coord.cs"}),
    ("review.task_overdue", {"claimed_by": None, "days_overdue": 1, "supervisor_role": "icd_officer"},
     {"coord.cs", "icd.officer"}),
    ("review.task_overdue", {"claimed_by": "coord.cs", "days_overdue": 2, "supervisor_role": "icd_officer"},
     {"coord.cs", "icd.officer"}),
    ("review.task_escalated", {"claimed_by": "coord.cs", "supervisor_role": "icd_officer",
                               "escalated_at": "2031-01-04T00:00:00+00:00"}, {"coord.cs", "icd.officer"}),
])
def test_reviewers_get_mail_in_their_language(
    nt: Notifications, smtp: SmtpSink, event_type: str, extra: dict[str, Any], expected: set[str]
) -> None:
    event = _task_event(event_type, **extra)
    nt.deliver(event)
    assert EMAIL.worker(nt.settings, nt.engine, threading.Event()).send_due() == len(expected)
    for who in expected:
        (mail,) = [m for m in smtp.to(f"{who}@example.org")
                   if event.get_data()["application_id"] in m.get_body(("plain",)).get_content()]
        chinese = any("\u4e00" <= c <= "\u9fff" for c in mail["Subject"])
        assert chinese is (PEOPLE[who][0] == "zh"), mail["Subject"]


def test_who_holds_a_role_is_found_by_the_roles_index(nt: Notifications) -> None:
    """Every review task's notice asks who holds the reviewers' role: PostgreSQL can answer the query rules.py
    sends from ix_recipients_roles (a directory of thousands is not scanned), and it finds exactly the holders."""
    with nt.sessions() as session, session.begin():
        assert [p.username for p in rules.with_role(session, "icd_officer")] == ["icd.officer"]
        assert [p.username for p in rules.with_role(session, "student")] == ["alice", "bob"]
        session.execute(text("SET LOCAL enable_seqscan = off"))  # five rows: ask whether the index can serve
        query = str(rules._HOLDING.compile(dialect=session.get_bind().dialect))
        plan = session.connection().exec_driver_sql(f"EXPLAIN {query}", {"holds": '[{"role": "student"}]'})
        assert "ix_recipients_roles" in "\n".join(row[0] for row in plan)


def test_a_client_system_manages_only_its_own_subscriptions(nt: Notifications, receiver: str) -> None:
    PEOPLE["registrar"] = ("en", [{"role": "client_system", "school": None}])
    PEOPLE["hr-system"] = ("en", [{"role": "client_system", "school": None}])
    try:
        made = nt.call("registrar", "POST", "/api/v1/subscriptions", json={"url": receiver, "patterns": ["*"]})
        assert made.status_code == 201
        sub = made.json["id"]
        assert nt.call("hr-system", "GET", "/api/v1/subscriptions").json == []
        assert nt.call("hr-system", "GET", f"/api/v1/subscriptions/{sub}").status_code == 404
        assert nt.call("hr-system", "DELETE", f"/api/v1/subscriptions/{sub}").status_code == 404
        assert nt.call("hr-system", "GET", f"/api/v1/subscriptions/{sub}/deliveries").status_code == 404
        assert [s["id"] for s in nt.call("admin", "GET", "/api/v1/subscriptions").json] == [sub]
        assert "secret" not in nt.call("registrar", "GET", f"/api/v1/subscriptions/{sub}").json
        assert nt.call("registrar", "GET", "/api/v1/events").status_code == 200
        assert nt.call("coord.cs", "GET", "/api/v1/subscriptions").status_code == 403
    finally:
        PEOPLE.pop("registrar")
        PEOPLE.pop("hr-system")


def test_the_events_locale_for_the_applicant_wins_over_the_directory(nt: Notifications, smtp: SmtpSink) -> None:
    event = _application_event("application.approved", "alice", **NOTIFIED["application.approved"])
    event.get_data()["locale"] = "zh"  # alice switched to Chinese on this application
    nt.deliver(event)
    EMAIL.worker(nt.settings, nt.engine, threading.Event()).send_due()
    (mail,) = [m for m in smtp.to("alice@example.org") if event.get_subject() in m.get_body(("plain",)).get_content()]
    assert any("\u4e00" <= c <= "\u9fff" for c in mail["Subject"])


def test_the_accounts_email_wins_over_an_email_in_contacts(nt: Notifications, smtp: SmtpSink) -> None:
    """`contacts` names addresses on the other channels; the mail address is the account's, whatever contacts say."""
    nt.deliver(envelope.new_event("user.registered", "/services/gateway", "alice", {
        "username": "alice", "email": "alice@example.org", "locale": "en", "roles": PEOPLE["alice"][1],
        "school": "cs", "contacts": {"email": "mallory@evil.example", "wecom": "alice.wang"}}))
    with nt.engine.connect() as c:
        contacts = c.scalar(text("SELECT contacts FROM recipients WHERE username = 'alice'"))
    assert contacts == {"email": "alice@example.org", "wecom": "alice.wang"}
    event = _application_event("application.approved", "alice", **NOTIFIED["application.approved"])
    nt.deliver(event)
    assert EMAIL.worker(nt.settings, nt.engine, threading.Event()).send_due() == 1
    assert [m for m in smtp.to("alice@example.org") if event.get_subject() in m.get_body(("plain",)).get_content()]
    assert smtp.to("mallory@evil.example") == []


def test_a_commit_wakes_the_sender_or_the_dispatcher_only_when_it_gave_them_work(nt: Notifications) -> None:
    from services.notifications.dispatcher import HOOKS_DUE
    MAIL_DUE = EMAIL.due

    def written(event: Any) -> dict[str, Any]:
        with nt.sessions() as session, session.begin():
            apply(nt.handlers, session, event)
            return dict(session.info)

    quiet = envelope.new_event("user.registered", "/services/gateway", "zed", {
        "username": "zed", "email": "zed@example.org", "locale": "en", "roles": [], "school": "cs"})
    assert not written(quiet).get(MAIL_DUE) and not written(quiet).get(HOOKS_DUE)
    submitted = written(_application_event("application.submitted", submitted_at="2031-01-01T00:00:00+00:00"))
    assert submitted.get(MAIL_DUE) and not submitted.get(HOOKS_DUE)  # mail to write; no subscription yet
    r = nt.call("admin", "POST", "/api/v1/subscriptions",
                json={"url": "http://127.0.0.1:9/hook", "patterns": ["application.*"]})
    assert r.status_code == 201, r.json
    assert written(_application_event("application.withdrawn", withdrawn_at="2031-01-01T00:00:00+00:00",
                                      previous_status="submitted")).get(HOOKS_DUE)


def test_the_worker_wakes_the_sender_and_the_dispatcher_from_the_consumers_notes(nt: Notifications) -> None:
    from eventbus.consumer import Consumer
    from services.notifications import worker
    from services.notifications.dispatcher import HOOKS_DUE, Dispatcher
    MAIL_DUE = EMAIL.due

    parts = worker.components(nt.settings, nt.engine)
    (consumer,) = [c for c in parts if isinstance(c, Consumer)]
    (sender,) = [c for c in parts if isinstance(c, Sender)]
    (hooks,) = [c for c in parts if isinstance(c, Dispatcher)]
    assert consumer.after_commit is not None
    consumer.after_commit({})  # a commit that wrote nothing for them
    assert not sender.wake.is_set() and not hooks.wake.is_set()
    consumer.after_commit({MAIL_DUE: True})
    assert sender.wake.is_set() and not hooks.wake.is_set()
    consumer.after_commit({HOOKS_DUE: True})
    assert hooks.wake.is_set()
