"""Notifications' own tables: the people it may write to (a copy fed by user.registered) and what it wrote."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class Recipient(Base):
    __tablename__ = "recipients"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # How to reach the person, by channel name: {"email": "a@b.edu", "wecom": "userid"}; a channel whose key
    # is missing does not reach them (channels/*.py `address`).
    contacts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    school: Mapped[str | None] = mapped_column(String(40), nullable=True)
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Who holds a role (rules.with_role, for every review task's notice) is JSON containment on the roles: on
    # PostgreSQL this index answers it, where a directory of 40,000 people took 19 ms a notice to scan (0.9 with
    # it; docs/benchmarks.md). SQLite has no such index; the embedded directory is small.
    __table_args__ = (
        Index("ix_recipients_roles", cast(roles, JSONB).label("roles_jsonb"), postgresql_using="gin",
              postgresql_ops={"roles_jsonb": "jsonb_path_ops"}).ddl_if(dialect="postgresql"),
    )


class FeedEntry(Base):
    """The event log other university systems page through (/api/v1/events): every public event once,
    in the order this service received it, kept as the CloudEvent JSON it was. Append-only."""

    __tablename__ = "feed"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(120), index=True)
    subject: Mapped[str] = mapped_column(String(120))
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(Text)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel", name="uq_notification_once"),
        Index("ix_notifications_inbox", "recipient", "channel", "read_at"),
        Index("ix_notifications_outgoing", "channel", "status"),
        Index("ix_notifications_inbox_pages", "recipient", "channel", "created_at", "id"),  # newest first, keyset
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(120))
    recipient: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(10))  # a channel's name: inbox | email | wecom (channels/)
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)  # the channel's address of them
    locale: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(10))  # inbox: delivered; email, wecom: pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The event's data: the inbox renders the text from it in the reader's language when it is read.
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Its task and application, from the facts: news that the task is decided (or the review over, or the
    # application withdrawn) marks the notices that asked someone to act on it done.
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    application_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Subscription(Base):
    """A webhook: where to POST which event types, signed with its secret (Standard Webhooks)."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    patterns: Mapped[list[str]] = mapped_column(JSON)  # "application.*", "review.completed", "*"
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Delivery(Base):
    """One event to one subscription: its attempts, last answer and state (the delivery log)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_delivery_once"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # pending | delivered | failed | gave_up | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
