"""The email sender against a real SMTP server: delivery, outages, refusals, one bad row in a batch."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from chassis import migrate
from chassis.db import make_engine, make_sessionmaker
from chassis.settings import Settings
from services.notifications.channels.email import CHANNEL as EMAIL
from services.notifications.models import Notification
from services.notifications.sender import Sender
from tests.support.ports import free_port
from tests.support.smtp import SmtpSink


class RefusingSink(SmtpSink):
    """Refuses mail to anyone at refused.example with a permanent 550."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(params=["postgres", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "postgres":
        url = request.getfixturevalue("pg_urls")["notifications"]
    else:
        url = f"sqlite:///{tmp_path / 'notifications.db'}"
    migrate.upgrade("notifications", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _pending(engine: Any, address: str, subject: str = "Application submitted") -> str:
    n = Notification(
        id=str(uuid.uuid4()), event_id=str(uuid.uuid4()), event_type="application.submitted", recipient="x",
        channel="email", address=address, locale="en", subject=subject, body="Hello\n", link=None,
        status="pending", created_at=datetime.now(UTC),
    )
    with make_sessionmaker(engine)() as session, session.begin():
        session.add(n)
    return n.id


def _row(engine: Any, notification_id: str) -> Notification:
    with make_sessionmaker(engine)() as session:
        return session.scalars(select(Notification).where(Notification.id == notification_id)).one()


def _sender(engine: Any, port: int) -> Sender:
    settings = Settings.from_env({"MOBILITY_SMTP_PORT": str(port)})
    return EMAIL.worker(settings, engine, threading.Event())


def test_mail_is_sent_once_with_a_stable_message_id(engine: Any) -> None:
    sink = RefusingSink()
    sink.start()
    try:
        good = _pending(engine, "alice@example.org")
        refused = _pending(engine, "ghost@refused.example")
        assert _sender(engine, sink.port).send_due() == 1
        assert _sender(engine, sink.port).send_due() == 0  # nothing is sent twice
    finally:
        sink.stop()
    mails = sink.to("alice@example.org")
    assert len(mails) == 1 and mails[0]["Message-ID"] == f"<{good}@mobility.local>"
    assert _row(engine, good).status == "sent"
    failed = _row(engine, refused)
    assert failed.status == "failed" and "refused" in (failed.last_error or "")


def test_an_smtp_outage_costs_no_attempts_and_mail_goes_out_when_it_returns(engine: Any) -> None:
    port = free_port()  # nothing listens here yet
    waiting = _pending(engine, "bob@example.org")
    with pytest.raises(Exception, match="127.0.0.1"):
        _sender(engine, port).send_due()
    row = _row(engine, waiting)
    assert (row.status, row.attempts) == ("pending", 0)

    sink = SmtpSink()
    sink.port = port
    sink._controller = Controller(sink, hostname="127.0.0.1", port=port)
    sink.start()
    try:
        assert _sender(engine, port).send_due() == 1
    finally:
        sink.stop()
    assert _row(engine, waiting).status == "sent"
    assert len(sink.to("bob@example.org")) == 1


def test_a_line_break_in_a_subject_cannot_reach_the_mail_header(engine: Any) -> None:
    sink = SmtpSink()
    sink.start()
    try:
        sneaky = _pending(engine, "carol@example.org", subject="Hi\r\nBcc: everyone@example.org")
        assert _sender(engine, sink.port).send_due() == 1
    finally:
        sink.stop()
    (mail,) = sink.to("carol@example.org")
    assert mail["Bcc"] is None and mail["Subject"] == "Hi Bcc: everyone@example.org"
    assert _row(engine, sneaky).status == "sent"


def test_an_address_that_is_not_one_mailbox_is_failed_not_sent(engine: Any) -> None:
    sink = SmtpSink()
    sink.start()
    try:
        bad = [_pending(engine, a) for a in ("dave@example.org\r\nBcc: everyone@example.org",
                                              "erin@example.org, everyone@example.org")]
        good = _pending(engine, "frank@example.org")
        assert _sender(engine, sink.port).send_due() == 1
    finally:
        sink.stop()
    assert [rcpts for rcpts, _ in sink.messages] == [["frank@example.org"]]  # nothing else left
    assert _row(engine, good).status == "sent"
    for notification_id in bad:
        row = _row(engine, notification_id)
        assert row.status == "failed" and "not a single mail address" in (row.last_error or "")
    (mail,) = sink.to("frank@example.org")
    assert mail.get_body(("plain",)).get_content() == "Hello\n"  # the text part, decoded
    assert mail.get_body(("html",)) is not None


def test_more_mails_than_a_batch_all_go_out_in_one_round(engine: Any) -> None:
    from services.notifications.sender import BATCH

    sink = SmtpSink()
    sink.start()
    try:
        ids = [_pending(engine, f"user{n}@example.org") for n in range(BATCH + 5)]
        assert _sender(engine, sink.port).send_due() == BATCH + 5
        assert _sender(engine, sink.port).send_due() == 0  # nothing twice
    finally:
        sink.stop()
    assert sorted(r[0] for r, _ in sink.messages) == sorted(f"user{n}@example.org" for n in range(BATCH + 5))
    assert {_row(engine, i).status for i in ids} == {"sent"}


def test_a_non_ascii_address_is_failed_and_a_display_name_in_chinese_is_encoded_apart(engine: Any) -> None:
    sink = SmtpSink()
    sink.start()
    try:
        bad = _pending(engine, "张三@example.cn")
        good = _pending(engine, "grace@example.org")
        settings = Settings.from_env({"MOBILITY_SMTP_PORT": str(sink.port),
                                      "MOBILITY_SMTP_SENDER": "国际交流处 <icd@example.edu>"})
        assert EMAIL.worker(settings, engine, threading.Event()).send_due() == 1
    finally:
        sink.stop()
    assert _row(engine, bad).status == "failed" and "not an ASCII mail address" in (_row(engine, bad).last_error or "")
    assert _row(engine, good).status == "sent"
    (mail,) = sink.to("grace@example.org")
    assert mail["From"].addresses[0].display_name == "国际交流处"
    assert mail["From"].addresses[0].addr_spec == "icd@example.edu"


def test_an_unexpected_error_for_one_mail_keeps_the_marks_of_the_others(engine: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import smtplib

    real = smtplib.SMTP.sendmail

    def sendmail(self, from_addr, to_addrs, msg, *args, **kwargs):  # type: ignore[no-untyped-def]
        if to_addrs == ["henry@example.org"]:
            raise UnicodeEncodeError("ascii", "x", 0, 1, "a surprise")
        return real(self, from_addr, to_addrs, msg, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", sendmail)
    sink = SmtpSink()
    sink.start()
    try:
        first = _pending(engine, "ivy@example.org")
        odd = _pending(engine, "henry@example.org")
        assert _sender(engine, sink.port).send_due() >= 1
    finally:
        sink.stop()
    assert _row(engine, first).status == "sent"  # sent before the surprise, and its mark kept
    row = _row(engine, odd)
    assert row.status == "pending" and row.attempts == 1 and "a surprise" in (row.last_error or "")
    assert [r for r, _ in sink.messages].count(["ivy@example.org"]) == 1
