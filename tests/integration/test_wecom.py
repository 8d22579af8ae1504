"""The WeCom (企业微信) channel against a local WeCom API server: the same steps as email, in each person's
language, retried on 5xx, failed on a refusal, one cached token refreshed when WeCom calls it expired."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from chassis.db import make_sessionmaker
from eventbus import envelope
from eventbus.consumer import apply
from services.notifications import worker
from services.notifications.channels import wecom
from services.notifications.handlers import handlers_for
from services.notifications.models import Notification, Recipient
from services.notifications.sender import Sender
from tests.integration.test_notifications import NOTIFIED
from tests.support.service import ServiceUnderTest, start_service
from tests.support.wecom import AGENT_ID, WeComServer

PEOPLE = {  # username: (locale, WeCom userid or None)
    "alice": ("en", "alice.wang"),
    "bob": ("zh", "li.bo"),
    "carol": ("zh", None),  # no WeCom account: mail and inbox only
}
STEPS = NOTIFIED  # the same applicant steps that go by email


@pytest.fixture
def server() -> Iterator[WeComServer]:
    fake = WeComServer(users={wecom_id for _, wecom_id in PEOPLE.values() if wecom_id})
    fake.start()
    yield fake
    fake.stop()


class Notifications:
    def __init__(self, service: ServiceUnderTest) -> None:
        self.service, self.settings, self.engine = service, service.settings, service.engine
        self.sessions = make_sessionmaker(service.engine)
        self.handlers = handlers_for(service.settings)
        for user, (locale, wecom_id) in PEOPLE.items():
            self.deliver(envelope.new_event("user.registered", "/services/gateway", user, {
                "username": user, "email": f"{user}@example.org", "locale": locale, "roles": [], "school": "cs",
                "contacts": {"wecom": wecom_id} if wecom_id else {}}))

    def deliver(self, event: Any) -> None:
        with self.sessions() as session, session.begin():
            apply(self.handlers, session, event)

    def sender(self) -> Sender:
        return wecom.CHANNEL.worker(self.settings, self.engine, threading.Event())

    def rows(self, **where: str) -> list[Notification]:
        with self.sessions() as session:
            query = session.query(Notification).filter_by(channel="wecom", **where)
            return list(query.order_by(Notification.created_at))

    def make_due(self) -> None:
        """Skip the backoff: every pending row is due now."""
        with self.sessions() as session, session.begin():
            session.execute(update(Notification).where(Notification.status == "pending")
                            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))


def _service(tmp_path: Path, url: str, **env: str) -> Notifications:
    return Notifications(start_service("notifications", tmp_path, url,
                                       MOBILITY_PUBLIC_BASE_URL="https://mobility.example.edu", **env))


@pytest.fixture
def nt(tmp_path: Path, pg_urls: dict[str, str], server: WeComServer) -> Iterator[Notifications]:
    n = _service(tmp_path, pg_urls["notifications"], **server.env)
    yield n
    n.engine.dispose()


def _application_event(event_type: str, applicant: str, locale: str | None = None) -> Any:
    app_id = str(uuid.uuid4())
    return envelope.new_event(event_type, "/services/applications", app_id, {
        "application_id": app_id, "kind": "student_exchange", "applicant": applicant, "applicant_name": applicant,
        "applicant_email": "", "locale": locale or PEOPLE[applicant][0], "school": "cs", "program_id": None,
        "title": "Berlin 2031", "version": 2, "status": event_type.split(".")[1], **STEPS[event_type]})


def _chinese(value: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in value)


@pytest.mark.parametrize("event_type", sorted(STEPS))
def test_each_step_is_one_wecom_message_in_the_persons_language(
    nt: Notifications, server: WeComServer, event_type: str
) -> None:
    english, chinese = (_application_event(event_type, who) for who in ("alice", "bob"))
    nt.deliver(english)
    nt.deliver(chinese)
    assert nt.sender().send_due() == 2
    assert nt.sender().send_due() == 0  # nothing twice
    for userid, event, in_chinese in (("alice.wang", english, False), ("li.bo", chinese, True)):
        (message,) = server.to(userid)
        card = message["textcard"]
        assert message["msgtype"] == "textcard" and message["agentid"] == AGENT_ID
        assert card["url"] == f"https://mobility.example.edu/applications/{event.get_subject()}"
        assert _chinese(card["title"]) is in_chinese and _chinese(card["description"]) is in_chinese
        assert card["btntxt"] == ("详情" if in_chinese else "Open")
        assert "Berlin 2031" in card["title"] and card["url"] not in card["description"]
    assert {r.status for r in nt.rows()} == {"sent"}


def test_a_person_without_a_wecom_id_gets_mail_and_inbox_but_no_wecom_row(
    nt: Notifications, server: WeComServer
) -> None:
    nt.deliver(_application_event("application.approved", "carol"))
    assert nt.rows(recipient="carol") == []
    with nt.engine.connect() as c:
        channels = set(c.scalars(text("SELECT channel FROM notifications WHERE recipient = 'carol'")))
    assert channels == {"inbox", "email"}
    assert nt.sender().send_due() == 0 and server.calls("/cgi-bin/message/send") == []


def test_a_5xx_is_retried_with_backoff_then_delivered(nt: Notifications, server: WeComServer) -> None:
    server.answers = [503, 502]
    nt.deliver(_application_event("application.submitted", "alice"))
    assert nt.sender().send_due() == 0
    (row,) = nt.rows()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503")
    assert row.next_attempt_at and row.next_attempt_at > datetime.now(UTC)
    assert nt.sender().send_due() == 0  # not due again before its backoff
    nt.make_due()
    assert nt.sender().send_due() == 0
    assert nt.rows()[0].attempts == 2
    nt.make_due()
    assert nt.sender().send_due() == 1
    (row,) = nt.rows()
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(server.to("alice.wang")) == 1


def test_a_refusal_fails_the_row_at_once_and_the_others_still_go(nt: Notifications, server: WeComServer) -> None:
    server.answers = [{"errcode": 81013, "errmsg": "user & party & tag all invalid"}]
    first, second = _application_event("application.submitted", "alice"), _application_event(
        "application.submitted", "bob")
    nt.deliver(first)
    nt.deliver(second)
    assert nt.sender().send_due() == 1
    refused, sent = nt.rows(recipient="alice")[0], nt.rows(recipient="bob")[0]
    assert refused.status == "failed" and "user & party & tag all invalid" in (refused.last_error or "")
    assert sent.status == "sent"
    nt.make_due()
    assert nt.sender().send_due() == 0  # a refusal is not retried
    assert server.to("alice.wang") == []


def test_a_userid_wecom_does_not_know_fails(nt: Notifications, server: WeComServer) -> None:
    server.users.discard("li.bo")  # left the company's WeCom: the answer names them in invaliduser
    nt.deliver(_application_event("application.approved", "bob"))
    assert nt.sender().send_due() == 0
    (row,) = nt.rows()
    assert row.status == "failed" and "invaliduser li.bo" in (row.last_error or "")


@pytest.mark.parametrize("address", ["@all", "li.bo|alice.wang", "x" * 65])
def test_an_address_that_is_not_one_userid_is_failed_not_sent(
    nt: Notifications, server: WeComServer, address: str
) -> None:
    # Written straight into the directory: the catalog refuses most of these in user.registered, but a copy
    # made before that check (or by hand) must still not reach anyone else.
    with nt.sessions() as session, session.begin():
        session.add(Recipient(username="eve", contacts={"email": "eve@example.org", "wecom": address}, locale="en",
                              roles=[], updated_at=datetime.now(UTC)))
    nt.deliver(_application_event("application.submitted", "eve", "en"))
    assert nt.sender().send_due() == 0
    (row,) = nt.rows()
    assert row.status == "failed" and "not a single WeCom userid" in (row.last_error or "")
    assert server.calls("/cgi-bin/message/send") == []


def test_the_token_is_cached_across_messages_and_fetched_again_when_expired(
    nt: Notifications, server: WeComServer
) -> None:
    for _ in range(3):
        nt.deliver(_application_event("application.submitted", "alice"))
    assert nt.sender().send_due() == 3
    assert nt.sender().send_due() == 0
    assert len(server.calls("/cgi-bin/gettoken")) == 1  # one token for three messages and two senders
    server.expire_tokens()
    nt.deliver(_application_event("application.approved", "bob"))
    assert nt.sender().send_due() == 1  # 42001, a fresh token, the same message again
    assert len(server.calls("/cgi-bin/gettoken")) == 2
    sends = server.calls("/cgi-bin/message/send")
    assert [s.query["access_token"] for s in sends[-2:]] == ["token-1", "token-2"]
    assert len(server.to("li.bo")) == 1
    assert all(r.query["corpsecret"] for r in server.calls("/cgi-bin/gettoken"))


def test_a_token_near_its_expiry_is_not_used(
    nt: Notifications, server: WeComServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    nt.deliver(_application_event("application.submitted", "alice"))
    assert nt.sender().send_due() == 1
    clock = wecom.time.monotonic() + 7200 - wecom.EARLY + 1  # within the margin before the token expires
    monkeypatch.setattr(wecom.time, "monotonic", lambda: clock)
    nt.deliver(_application_event("application.submitted", "bob"))
    assert nt.sender().send_due() == 1
    assert len(server.calls("/cgi-bin/gettoken")) == 2
    assert [s.query["access_token"] for s in server.calls("/cgi-bin/message/send")] == ["token-1", "token-2"]


def test_a_short_lived_token_is_reused_for_half_its_life_not_fetched_for_every_message(
    nt: Notifications, server: WeComServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.expires_in = int(wecom.EARLY)  # no longer than the margin: it used to be stale on arrival
    nt.deliver(_application_event("application.submitted", "alice"))
    nt.deliver(_application_event("application.submitted", "bob"))
    assert nt.sender().send_due() == 2
    assert len(server.calls("/cgi-bin/gettoken")) == 1
    clock = wecom.time.monotonic() + wecom.EARLY / 2 + 1  # past half its life
    monkeypatch.setattr(wecom.time, "monotonic", lambda: clock)
    nt.deliver(_application_event("application.approved", "alice"))
    assert nt.sender().send_due() == 1
    assert len(server.calls("/cgi-bin/gettoken")) == 2


@pytest.mark.parametrize("errcode", [45009, 45011, 45033])
def test_a_rate_limit_is_retried_with_backoff_like_a_5xx_not_failed(
    nt: Notifications, server: WeComServer, errcode: int
) -> None:
    server.answers = [server.errcode(errcode)]
    nt.deliver(_application_event("application.submitted", "alice"))
    assert nt.sender().send_due() == 0
    (row,) = nt.rows()
    assert (row.status, row.attempts) == ("pending", 1) and str(errcode) in (row.last_error or "")
    assert row.next_attempt_at and row.next_attempt_at > datetime.now(UTC)
    nt.make_due()
    assert nt.sender().send_due() == 1
    assert nt.rows()[0].status == "sent" and len(server.to("alice.wang")) == 1


def test_an_ip_wecom_does_not_trust_holds_the_messages_uncounted_until_it_is_allowed(
    nt: Notifications, server: WeComServer
) -> None:
    from services.notifications.sender import Unavailable

    server.answers = [None, server.errcode(60020), server.errcode(60020)]  # the first goes, then shut out
    for who in ("alice", "bob", "alice"):
        nt.deliver(_application_event("application.submitted", who))
    with pytest.raises(Unavailable, match="60020"):
        nt.sender().send_due()
    rows = nt.rows()
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("pending", 0), ("pending", 0)]
    assert all(r.last_error is None and r.next_attempt_at is None for r in rows[1:])
    with pytest.raises(Unavailable):  # still shut out: the next row is not tried past it
        nt.sender().send_due()
    assert len(server.calls("/cgi-bin/message/send")) == 3
    assert nt.sender().send_due() == 2  # the operators added the IP
    assert [(r.status, r.attempts) for r in nt.rows()] == [("sent", 1)] * 3


def test_the_sender_logs_a_warning_while_wecom_refuses_our_ip(nt: Notifications, server: WeComServer) -> None:
    from structlog.testing import capture_logs

    from tests.support.wait import until

    server.answers = [server.errcode(60020)] * 50
    nt.deliver(_application_event("application.submitted", "alice"))
    sender, stop = nt.sender(), threading.Event()
    with capture_logs() as logs:
        running = threading.Thread(target=sender.run, args=(stop,))
        running.start()
        try:
            until(lambda: [e for e in logs if e["event"] == "sender.wecom_unavailable"], what="the outage warning")
        finally:
            stop.set()
            running.join(10)
    (warning, *_) = [e for e in logs if e["event"] == "sender.wecom_unavailable"]
    assert warning["log_level"] == "warning" and "60020" in warning["error"] and "trusted IP" in warning["error"]
    assert [(r.status, r.attempts) for r in nt.rows()] == [("pending", 0)]


def test_redirects_are_not_followed_so_the_secret_stays_with_the_configured_host(
    tmp_path: Path, pg_urls: dict[str, str], server: WeComServer
) -> None:
    from services.notifications.sender import Unavailable

    elsewhere = WeComServer(users={"alice.wang"})
    elsewhere.start()
    server.redirect_to = elsewhere.url
    n = _service(tmp_path, pg_urls["notifications"], **server.env)
    try:
        n.deliver(_application_event("application.submitted", "alice"))
        with pytest.raises(Unavailable, match="307"):
            n.sender().send_due()
        assert elsewhere.requests == [] and [r.path for r in server.requests] == ["/cgi-bin/gettoken"]
        assert [(r.status, r.attempts) for r in n.rows()] == [("pending", 0)]
    finally:
        n.engine.dispose()
        elsewhere.stop()


def test_wecom_unreachable_costs_no_attempts_and_the_secret_stays_out_of_the_error(
    tmp_path: Path, pg_urls: dict[str, str], server: WeComServer
) -> None:
    from services.notifications.sender import Unavailable
    from tests.support.ports import free_port

    down = {**server.env, "MOBILITY_WECOM_API_URL": f"http://127.0.0.1:{free_port()}"}
    n = _service(tmp_path, pg_urls["notifications"], **down)
    try:
        n.deliver(_application_event("application.submitted", "alice"))
        with pytest.raises(Unavailable) as raised:
            n.sender().send_due()
        assert server.env["MOBILITY_WECOM_SECRET"] not in str(raised.value)
        (row,) = n.rows()
        assert (row.status, row.attempts) == ("pending", 0)
    finally:
        n.engine.dispose()


def test_without_a_corp_id_the_channel_is_off(tmp_path: Path, pg_urls: dict[str, str], server: WeComServer) -> None:
    n = _service(tmp_path, pg_urls["notifications"])
    try:
        n.deliver(_application_event("application.approved", "alice"))
        assert n.rows() == []
        parts = worker.components(n.settings, n.engine)
        assert [p for p in parts if isinstance(p, Sender) and p.transport.channel == "wecom"] == []
        assert server.requests == []
    finally:
        n.engine.dispose()


def test_the_worker_runs_a_wecom_sender_woken_by_commits_that_wrote_wecom_rows(nt: Notifications) -> None:
    from eventbus.consumer import Consumer

    parts = worker.components(nt.settings, nt.engine)
    (consumer,) = [c for c in parts if isinstance(c, Consumer)]
    (sender,) = [c for c in parts if isinstance(c, Sender) and c.transport.channel == "wecom"]
    assert consumer.after_commit is not None
    consumer.after_commit({"notifications.mail_due": True})
    assert not sender.wake.is_set()
    with nt.sessions() as session, session.begin():
        apply(nt.handlers, session, _application_event("application.submitted", "alice"))
        written = dict(session.info)
    consumer.after_commit(written)
    assert sender.wake.is_set()


def test_the_wecom_id_set_by_the_accounts_cli_reaches_the_recipients_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nt: Notifications, server: WeComServer
) -> None:
    """`mobility users add/set --wecom-id` → user.registered's contacts → a WeCom message to that id."""
    import json

    from click.testing import CliRunner
    from sqlalchemy import select

    from chassis import migrate
    from chassis.db import make_engine
    from eventbus import tables
    from mobility.cli import main

    gateway_db = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate.upgrade("gateway", gateway_db)
    monkeypatch.setenv("MOBILITY_GATEWAY_DATABASE_URL", gateway_db)
    monkeypatch.setenv("MOBILITY_NEW_PASSWORD", "a long enough password")
    runner = CliRunner()
    made = runner.invoke(main, ["users", "add", "dora", "--email", "dora@example.org", "--wecom-id", "dora.x",
                                "--locale", "en"])
    assert made.exit_code == 0, made.output
    for bad in ("bad id!", "a|b", "@all", "@ALL"):
        assert runner.invoke(main, ["users", "set", "dora", "--wecom-id", bad]).exit_code != 0, bad
    assert runner.invoke(main, ["users", "set", "dora", "--wecom-id", "dora.y"]).exit_code == 0
    listed = runner.invoke(main, ["users", "list", "--json"]).output
    assert json.loads(listed.splitlines()[0])["wecom_id"] == "dora.y"

    engine = make_engine(gateway_db)
    with engine.connect() as c:
        bodies = [json.loads(b) for b in c.scalars(select(tables.outbox.c.body).order_by(tables.outbox.c.id))]
    engine.dispose()
    assert [b["data"]["contacts"] for b in bodies] == [{"wecom": "dora.x"}, {"wecom": "dora.y"}]
    for body in bodies:  # as the notifications consumer would receive them
        nt.deliver(envelope.from_json(json.dumps(body).encode()))
    server.users.add("dora.y")
    nt.deliver(_application_event("application.submitted", "dora", "en"))
    assert nt.sender().send_due() == 1
    assert len(server.to("dora.y")) == 1 and server.to("dora.x") == []



def test_the_gateway_and_the_channel_check_a_wecom_id_with_the_catalogs_one_pattern() -> None:
    """One definition of a WeCom userid, in the event that carries it; neither side imports the other."""
    from eventbus import catalog
    from gateway import identity

    pattern = catalog.property_pattern("user.registered", "contacts", "wecom")
    assert identity.WECOM_ID.pattern == wecom.USERID.pattern == pattern
    person = {"username": "eve", "email": "eve@example.org", "locale": "en", "roles": []}
    catalog.validate("user.registered", {**person, "contacts": {"wecom": "eve.x@dept-1"}})
    for bad in ("a|b", "eve x", "x" * 65, ""):
        with pytest.raises(catalog.SchemaError, match="contacts/wecom"):
            catalog.validate("user.registered", {**person, "contacts": {"wecom": bad}})
