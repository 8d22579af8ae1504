"""The webhook dispatcher (a worker component): sends due deliveries, records each answer, retries,
and disables a subscription after a run of failures, telling the admins in their inbox and by mail."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from chassis.settings import Settings
from services.notifications import webhooks
from services.notifications.models import Delivery, Notification, Recipient, Subscription

log = structlog.get_logger(__name__)


def enqueue(session: Session, event_id: str, event_type: str, body: str) -> None:
    """In the consumer's transaction: one delivery per matching active subscription (once per event)."""
    now = datetime.now(UTC)
    for sub in session.scalars(select(Subscription).where(Subscription.active.is_(True))):
        if webhooks.matches(sub.patterns, event_type):
            session.add(Delivery(id=str(uuid.uuid4()), subscription_id=sub.id, event_id=event_id,
                                 event_type=event_type, body=body, status="pending", attempts=0,
                                 created_at=now, next_attempt_at=now))


def deliver_due(session: Session, settings: Settings, now: datetime, limit: int = 20) -> int:
    query = (select(Delivery).where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
             .order_by(Delivery.next_attempt_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    done = 0
    for delivery in session.scalars(query):
        sub = session.get(Subscription, delivery.subscription_id)
        if sub is None or not sub.active:
            delivery.status, delivery.finished_at = "skipped", now
            continue
        attempt = webhooks.send(sub.url, sub.secret, delivery.event_id, delivery.body,
                                settings.webhooks_allow_private)
        record(session, settings, sub, delivery, attempt, now)
        done += 1
    return done


def record(session: Session, settings: Settings, sub: Subscription, delivery: Delivery,
           attempt: webhooks.Attempt, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = attempt.status_code, attempt.error
    if attempt.outcome == "delivered":
        delivery.status, delivery.finished_at = "delivered", now
        sub.consecutive_failures = 0
        return
    sub.consecutive_failures += 1
    later = webhooks.next_attempt(delivery.created_at, delivery.attempts, now) if attempt.outcome == "retry" else None
    if later is None:
        delivery.status = "failed" if attempt.outcome == "failed" else "gave_up"
        delivery.finished_at = now
    else:
        delivery.next_attempt_at = later
    log.warning("webhook.failed", subscription=sub.id, status=attempt.status_code, error=attempt.error,
                next_attempt=later.isoformat() if later else None)
    if sub.active and sub.consecutive_failures >= settings.webhook_disable_after:
        disable(session, sub, now)


def disable(session: Session, sub: Subscription, now: datetime) -> None:
    sub.active, sub.disabled_at = False, now
    log.error("webhook.disabled", subscription=sub.id, url=sub.url, failures=sub.consecutive_failures)
    text = (f"The webhook subscription {sub.id} to {sub.url} failed {sub.consecutive_failures} times in a row "
            "and has been disabled. Fix the receiver, then re-enable it (PATCH active=true).")
    admins = [p for p in session.scalars(select(Recipient)) if any(r.get("role") == "admin" for r in p.roles)]
    notice = str(uuid.uuid4())
    for admin in admins:
        for channel in ("inbox", "email"):
            session.add(Notification(
                id=str(uuid.uuid4()), event_id=notice, event_type="webhook.disabled", recipient=admin.username,
                channel=channel, address=admin.email if channel == "email" else None, locale=admin.locale,
                subject=f"Webhook disabled: {sub.url}"[:300], body=text, link=None,
                status="pending" if channel == "email" else "delivered", created_at=now,
            ))


class Dispatcher:
    def __init__(self, settings: Settings, engine: Engine, wake: threading.Event) -> None:
        self.settings = settings
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.wake = wake

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with self.sessions() as session, session.begin():
                    sent = deliver_due(session, self.settings, datetime.now(UTC))
                if sent:
                    continue
            except Exception as exc:  # database down: next round
                log.warning("webhook.dispatcher_error", error=repr(exc))
            self.wake.wait(1.0)
            self.wake.clear()
