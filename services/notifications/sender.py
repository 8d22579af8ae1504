"""The email sender: delivers pending email notifications over SMTP and marks them sent.

At-least-once toward SMTP: a crash between the server's "250 OK" and our commit sends the mail again,
with the same Message-ID so mail clients can fold the copies. Transient failures (connection, 4xx) are
retried with exponential backoff; permanent ones (5xx, or too many attempts) are marked failed.
"""

from __future__ import annotations

import smtplib
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import structlog
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import sessionmaker

from chassis.settings import Settings
from services.notifications.models import Notification

log = structlog.get_logger(__name__)
MAX_ATTEMPTS = 8


class Sender:
    def __init__(self, settings: Settings, engine: Engine, wake: threading.Event) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.wake = wake

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.send_due()
            except Exception as exc:  # database down: try again on the next wake or sweep
                log.warning("sender.error", error=repr(exc))
            self.wake.wait(2.0)
            self.wake.clear()

    def send_due(self, limit: int = 50) -> int:
        now = datetime.now(UTC)
        sent = 0
        with self.sessions() as session, session.begin():
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
                query = query.with_for_update(skip_locked=True)
            due = list(session.scalars(query))
            if not due:
                return 0
            try:
                smtp = smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=10)
            except (OSError, smtplib.SMTPException) as exc:
                for n in due:
                    self._transient(n, f"SMTP unreachable: {exc}", now)
                return 0
            with smtp:
                for n in due:
                    try:
                        smtp.send_message(self._message(n))
                    except smtplib.SMTPRecipientsRefused as exc:
                        n.status, n.last_error = "failed", f"recipient refused: {exc.recipients!r}"
                        log.error("sender.permanent_failure", notification=n.id, error=n.last_error)
                        continue
                    except smtplib.SMTPResponseException as exc:
                        if 400 <= exc.smtp_code < 500:
                            self._transient(n, f"{exc.smtp_code} {exc.smtp_error!r}", now)
                        else:
                            n.status, n.last_error = "failed", f"{exc.smtp_code} {exc.smtp_error!r}"
                            log.error("sender.permanent_failure", notification=n.id, error=n.last_error)
                        continue
                    except (smtplib.SMTPException, OSError) as exc:
                        self._transient(n, repr(exc), now)
                        continue
                    n.status, n.sent_at, n.attempts = "sent", datetime.now(UTC), n.attempts + 1
                    sent += 1
        return sent

    def _transient(self, n: Notification, error: str, now: datetime) -> None:
        n.attempts += 1
        n.last_error = error
        if n.attempts >= MAX_ATTEMPTS:
            n.status = "failed"
            log.error("sender.gave_up", notification=n.id, error=error)
        else:
            n.next_attempt_at = now + timedelta(seconds=min(2**n.attempts, 3600))
            log.warning("sender.retry_later", notification=n.id, error=error, attempts=n.attempts)

    def _message(self, n: Notification) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_sender
        message["To"] = n.address or ""
        message["Subject"] = n.subject
        # Stable per notification: a resend after a crash carries the same Message-ID.
        message["Message-ID"] = f"<{n.id}@mobility.local>"
        message.set_content(n.body)
        return message
