"""The email channel: rows addressed to the recipient's mail address, delivered over SMTP by the shared
delivery loop (sender.py), which this module gives its transport: connect (TLS, login), one mail, quit.

- SMTP unreachable, TLS or login failing: Unavailable (nothing counted; the loop backs off).
- A 4xx answer for one mail: LATER. A 5xx answer, refused recipients, a mail that cannot be built: FAILED.

With MOBILITY_SMTP_HOST=catch (`mobility run`'s default) the transport is the Catcher: each mail is built as
it would be sent and marked sent without connecting anywhere; the rows keep subject and body, which the
admins' "Mail sent" page lists (GET /api/v1/notifications/outgoing).
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr
from functools import cached_property

import structlog
from sqlalchemy import Engine

from chassis.settings import SMTP_CATCH, Settings
from services.notifications import templates
from services.notifications.models import Notification, Recipient
from services.notifications.sender import BROKEN, FAILED, LATER, SENT, Outcome, Sender, Unavailable

log = structlog.get_logger(__name__)
SMTP_LINES = compat32.clone(linesep="\r\n")  # the classic policy, with the line ends SMTP wants


class Email:
    name = "email"
    initial_status = "pending"
    due = "notifications.mail_due"

    def enabled(self, settings: Settings) -> bool:
        return True

    def address(self, recipient: Recipient) -> str | None:
        return (recipient.contacts or {}).get(self.name) or None

    def worker(self, settings: Settings, engine: Engine, wake: threading.Event) -> Sender:
        return Sender(Catcher(settings) if settings.smtp_host == SMTP_CATCH else Smtp(settings), engine, wake)


CHANNEL = Email()


class Smtp:
    channel = CHANNEL.name
    outage = "sender.smtp_unavailable"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def _tls(self) -> ssl.SSLContext:
        """Made once: loading the system's CA certificates costs milliseconds of CPU per connection."""
        return ssl.create_default_context()  # verifies the server's certificate and name

    def open(self) -> smtplib.SMTP:
        s = self.settings
        try:
            return self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise Unavailable(f"{s.smtp_host}:{s.smtp_port}: {exc}") from exc

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

    def send(self, smtp: smtplib.SMTP, n: Notification) -> Outcome:
        try:
            message = self._message(n)
        except Exception as exc:  # e.g. an address with a line break: no retry will fix it
            return Outcome(FAILED, f"cannot build the message: {exc!r}")
        try:
            smtp.sendmail(self._envelope_from, [n.address or ""], message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                return Outcome(LATER, f"recipient deferred: {exc.recipients!r}")
            return Outcome(FAILED, f"recipient refused: {exc.recipients!r}")
        except smtplib.SMTPResponseException as exc:
            return Outcome(LATER if 400 <= exc.smtp_code < 500 else FAILED, f"{exc.smtp_code} {exc.smtp_error!r}")
        except (smtplib.SMTPException, OSError) as exc:
            return Outcome(BROKEN, repr(exc))
        return Outcome(SENT)

    def close(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

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


class Catcher:
    """No server: a mail that could be built counts as sent (one that could not fails as it would over SMTP),
    so a trial run shows every mail, and no outage warning, without a mail server."""

    channel = CHANNEL.name
    outage = "sender.catcher_unavailable"  # never raised: nothing to reach

    def __init__(self, settings: Settings) -> None:
        self.mail = Smtp(settings)  # builds each mail exactly as it would go out

    def open(self) -> bool:
        return True  # a "connection" that is not None, so the loop carries on through the batches

    def send(self, _connection: bool, n: Notification) -> Outcome:
        try:
            self.mail._message(n)
        except Exception as exc:
            return Outcome(FAILED, f"cannot build the message: {exc!r}")
        log.info("mail.caught", notification=n.id)  # no address or subject: personal data
        return Outcome(SENT)

    def close(self, _connection: bool) -> None:
        return None
