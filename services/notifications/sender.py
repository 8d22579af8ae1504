"""The email sender: delivers pending email notifications over SMTP and marks them sent.

At-least-once toward SMTP: a crash between the server's "250 OK" and our commit sends the mail again,
with the same Message-ID so mail clients can fold the copies. Mails go in batches of up to BATCH over one
SMTP connection, claimed and marked in one transaction (one transaction per mail cost more than the mail,
in the benchmark): a crash or a failed commit sends at most that batch again. A mail that cannot be built
or is refused is marked failed inside the batch; it does not stop the others.
- SMTP unreachable: nothing is counted against the mails; the sender backs off and tries again.
- A 4xx answer for one mail: retried with exponential backoff, up to MAX_ATTEMPTS (about a day).
- A 5xx answer, refused recipients, or a mail that cannot be built: marked failed at once.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr
from functools import cached_property

import structlog
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import sessionmaker

from chassis.settings import Settings
from services.notifications import templates
from services.notifications.models import Notification

log = structlog.get_logger(__name__)
SMTP_LINES = compat32.clone(linesep="\r\n")  # the classic policy, with the line ends SMTP wants
BATCH = 20
MAX_ATTEMPTS = 32  # 2 s, 4 s … then an hour between tries: roughly a day in all


class SmtpUnavailable(Exception):
    pass


class Sender:
    def __init__(self, settings: Settings, engine: Engine, wake: threading.Event) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.wake = wake

    def run(self, stop: threading.Event) -> None:
        backoff = 2.0
        while not stop.is_set():
            try:
                self.send_due()
                backoff = 2.0
            except SmtpUnavailable as exc:
                log.warning("sender.smtp_unavailable", error=str(exc), retry_in=backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            except Exception as exc:  # database down: try again on the next wake or sweep
                log.warning("sender.error", error=repr(exc))
            self.wake.wait(2.0)
            self.wake.clear()

    def _due(self, limit: int):  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        query = (
            select(Notification)
            .where(
                Notification.channel == "email",
                Notification.status == "pending",
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            )
            .order_by(Notification.created_at)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # several senders can run side by side
        return query

    def send_due(self, limit: int = 100) -> int:
        sent = done = 0
        smtp: smtplib.SMTP | None = None
        try:
            while done < limit:
                with self.sessions() as session, session.begin():
                    batch = list(session.scalars(self._due(min(BATCH, limit - done))))
                    for n in batch:
                        if smtp is None:
                            try:
                                smtp = self._connect()
                            except (OSError, smtplib.SMTPException) as exc:
                                where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
                                raise SmtpUnavailable(f"{where}: {exc}") from exc
                        outcome = self._send_one(smtp, n)
                        done += 1
                        if outcome == "sent":
                            sent += 1
                        elif outcome == "connection_lost":  # keep what went out; the rest wait for next round
                            _quit(smtp)
                            smtp = None
                            break
                if len(batch) < BATCH or smtp is None:
                    break
        finally:
            if smtp is not None:
                _quit(smtp)
        return sent

    @cached_property
    def _tls(self) -> ssl.SSLContext:
        """Made once: loading the system's CA certificates costs milliseconds of CPU per connection."""
        return ssl.create_default_context()  # verifies the server's certificate and name

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        tls = self._tls if s.smtp_tls != "none" else None
        if s.smtp_tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=10, context=tls)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10)
        if s.smtp_tls == "starttls":
            smtp.starttls(context=tls)
        if s.smtp_user:
            if s.smtp_tls == "none":
                smtp.close()
                raise smtplib.SMTPException("refusing to send SMTP credentials without TLS (set MOBILITY_SMTP_TLS)")
            smtp.login(s.smtp_user, s.smtp_password)
        return smtp

    def _send_one(self, smtp: smtplib.SMTP, n: Notification) -> str:
        now = datetime.now(UTC)
        try:
            message = self._message(n)
        except Exception as exc:  # e.g. an address with a line break: no retry will fix it
            return self._failed(n, f"cannot build the message: {exc!r}")
        try:
            smtp.sendmail(self._envelope_from, [n.address or ""], message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                return self._later(n, f"recipient deferred: {exc.recipients!r}", now)
            return self._failed(n, f"recipient refused: {exc.recipients!r}")
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                return self._later(n, f"{exc.smtp_code} {exc.smtp_error!r}", now)
            return self._failed(n, f"{exc.smtp_code} {exc.smtp_error!r}")
        except (smtplib.SMTPException, OSError) as exc:
            self._later(n, repr(exc), now)
            return "connection_lost"
        except Exception as exc:  # anything else must not undo the marks of the batch's other mails
            log.exception("sender.unexpected_error", notification=n.id)
            self._later(n, repr(exc), now)
            return "connection_lost"  # the SMTP dialogue may be half way: start a fresh one
        n.status, n.sent_at, n.attempts = "sent", datetime.now(UTC), n.attempts + 1
        return "sent"

    def _later(self, n: Notification, error: str, now: datetime) -> str:
        n.attempts += 1
        n.last_error = error
        if n.attempts >= MAX_ATTEMPTS:
            return self._failed(n, f"gave up after {n.attempts} attempts: {error}")
        n.next_attempt_at = now + timedelta(seconds=min(2**n.attempts, 3600))
        log.warning("sender.retry_later", notification=n.id, error=error, attempts=n.attempts)
        return "later"

    def _failed(self, n: Notification, error: str) -> str:
        n.status, n.last_error = "failed", error
        log.error("sender.failed", notification=n.id, error=error)
        return "failed"

    @cached_property
    def _envelope_from(self) -> str:
        return parseaddr(self.settings.smtp_sender)[1]

    @cached_property
    def _from_header(self) -> str:
        """MOBILITY_SMTP_SENDER with its display name encoded on its own (国际交流处 <icd@…>), the address
        left readable; the classic MIME classes would encode the whole value as one word."""
        name, address = parseaddr(self.settings.smtp_sender)
        return formataddr((name, address), charset="utf-8")

    def _message(self, n: Notification) -> bytes:
        """The mail as bytes, built once with the classic MIME classes: the modern EmailMessage parsed
        every header through its policy and was flattened again by send_message, a third of the sender's
        CPU in the benchmark profile."""
        address = n.address or ""
        if not address or any(c in address for c in "\r\n,") or parseaddr(address)[1] != address:
            raise ValueError(f"not a single mail address: {address!r}")
        if not address.isascii():  # would need SMTPUTF8, which this sender does not speak
            raise ValueError(f"not an ASCII mail address: {address!r}")
        message = MIMEMultipart("alternative")
        message["From"] = self._from_header
        message["To"] = address
        message["Subject"] = Header(" ".join(n.subject.split()), "utf-8")  # no line breaks can reach a header
        # Stable per notification: a resend after a crash carries the same Message-ID.
        message["Message-ID"] = f"<{n.id}@mobility.local>"
        message["Date"] = formatdate(localtime=False)
        message.attach(MIMEText(n.body, "plain", "utf-8"))
        message.attach(MIMEText(templates.html(n.subject, n.body, n.link), "html", "utf-8"))
        return message.as_bytes(policy=SMTP_LINES)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
