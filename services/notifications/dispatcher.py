"""The webhook dispatcher (a worker component): sends due deliveries, records each answer, retries,
and disables a subscription after a run of failures, telling the admins on every channel (inbox, mail, …)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import per_transaction
from chassis.settings import Settings
from services.notifications import channels, rules, templates, webhooks
from services.notifications.models import Delivery, Recipient, Subscription

log = structlog.get_logger(__name__)
HOOKS_DUE = "notifications.hooks_due"  # noted in session.info: this transaction wrote webhook deliveries
SUBSCRIPTIONS = "notifications.subscriptions"  # the active subscriptions, read once per transaction


def enqueue(session: Session, event_id: str, event_type: str, body: str) -> None:
    """In the consumer's transaction: one delivery per matching active subscription (once per event; the
    subscriptions are read once per transaction, which a consumer's batch of events shares)."""
    now = datetime.now(UTC)
    for subscription_id, patterns in per_transaction(session, SUBSCRIPTIONS, lambda: session.execute(
            select(Subscription.id, Subscription.patterns).where(Subscription.active.is_(True))).all()):
        if webhooks.matches(patterns, event_type):
            session.info[HOOKS_DUE] = True
            session.add(Delivery(id=str(uuid.uuid4()), subscription_id=subscription_id, event_id=event_id,
                                 event_type=event_type, body=body, status="pending", attempts=0,
                                 created_at=now, next_attempt_at=now))


def deliver_one(session: Session, settings: Settings, now: datetime) -> bool:
    """Send the next due delivery and record the answer, in the caller's transaction (one per delivery,
    so a later failure cannot undo the record of a POST that went out). False when nothing is due."""
    query = (select(Delivery).where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
             .order_by(Delivery.next_attempt_at).limit(1))
    # Row locks on PostgreSQL only: on SQLite a locking read takes the whole database's write lock (chassis.db),
    # which the POST below would hold for seconds; there one process runs one dispatcher, so nothing competes.
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        query = query.with_for_update(skip_locked=True)
    delivery = session.scalars(query).first()
    if delivery is None:
        return False
    sub = session.get(Subscription, delivery.subscription_id, with_for_update=postgresql or None)
    if sub is None or not sub.active:
        delivery.status, delivery.finished_at = "skipped", now
        return True
    attempt = webhooks.send(sub.url, sub.secret, delivery.event_id, delivery.body, settings.webhooks_allow_private)
    record(session, settings, sub, delivery, attempt, now)
    return True


def deliver_due(sessions: sessionmaker, settings: Settings, now: datetime, limit: int = 50) -> int:
    done = 0
    while done < limit:
        with sessions() as session, session.begin():
            if not deliver_one(session, settings, now):
                break
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
        disable(session, sub, now, settings)


def disable(session: Session, sub: Subscription, now: datetime, settings: Settings) -> None:
    """Stop the subscription and tell the admins, on every channel that reaches them."""
    sub.active, sub.disabled_at = False, now
    log.error("webhook.disabled", subscription=sub.id, url=sub.url, failures=sub.consecutive_failures)
    facts = {"subscription_id": sub.id, "url": sub.url, "failures": sub.consecutive_failures}

    def text_for(admin: Recipient) -> tuple[str, templates.Rendered]:
        return admin.locale, templates.render("webhook.disabled", admin.locale, facts, settings.public_base_url,
                                              settings.timezone)

    admins = rules.with_role(session, "admin")
    channels.write(session, str(uuid.uuid4()), "webhook.disabled", rules.pairs(admins, channels.active(settings)),
                   text_for, now, facts)


class Dispatcher:
    def __init__(self, settings: Settings, engine: Engine, wake: threading.Event) -> None:
        self.settings = settings
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.wake = wake

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if deliver_due(self.sessions, self.settings, datetime.now(UTC)):
                    continue
            except Exception as exc:  # database down: next round
                log.warning("webhook.dispatcher_error", error=repr(exc))
            self.wake.wait(1.0)
            self.wake.clear()
