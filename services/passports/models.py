"""The passports service's own tables (its database holds the bus's outbox and inbox too, see eventbus.tables).

The register (`Passport`, its number encrypted), the trips it has heard of from mobilities (`Trip`), each hand-out
until its return (`Loan`), the append-only records of handovers and of every look at a number (`Handover`,
`AuditEntry`) and the office's rules (`PassportSettings`, one row).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UTCDateTime

# type: its words (en, zh)
TYPES = {
    "official_passport": ("Official passport", "因公护照"),
    "service_passport": ("Service passport", "公务护照"),
    "hk_macao_permit": ("Hong Kong and Macao travel permit", "往来港澳通行证"),
    "taiwan_permit": ("Taiwan travel permit", "大陆居民往来台湾通行证"),
}
STATUSES = ("in_custody", "handed_out", "lost", "expired", "cancelled")


class Base(DeclarativeBase):
    pass


class Passport(Base):
    """One passport or permit in the register. The number is kept only encrypted (crypto.py): `number_cipher` is
    nonce || AES-GCM ciphertext under the key `number_key`, bound to the row's id; `number_last4` is what everyone
    but the clerk sees."""

    __tablename__ = "passports"
    __table_args__ = (Index("ix_passports_holder", "holder_username"), Index("ix_passports_staff", "staff_number"),
                      Index("ix_passports_school_status", "school", "status"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    staff_number: Mapped[str] = mapped_column(String(40))
    holder_username: Mapped[str | None] = mapped_column(String(80), nullable=True)
    school: Mapped[str | None] = mapped_column(String(40), nullable=True)
    type: Mapped[str] = mapped_column(String(30))
    number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    number_key: Mapped[str] = mapped_column(String(40))
    number_last4: Mapped[str] = mapped_column(String(4))
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires_on: Mapped[date] = mapped_column(Date)
    kept_at: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="in_custody")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Trip(Base):
    """A mobility record as the mobilities service last told it (mobility.* events): what a hand-out is checked
    against and what moves a loan's due date. `version` is the record's aggregateversion last applied."""

    __tablename__ = "trips"
    __table_args__ = (Index("ix_trips_staff", "staff_number"),)

    mobility_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    school: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(80))
    person_name: Mapped[str] = mapped_column(String(200))
    staff_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20))
    planned_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the day a cancellation or no-show came
    version: Mapped[int] = mapped_column(Integer, default=0)


OPEN = "returned_on IS NULL"


class Loan(Base):
    """One hand-out of a passport until its return; at most one open (returned_on null) per passport."""

    __tablename__ = "loans"
    __table_args__ = (
        Index("ix_loans_passport", "passport_id"), Index("ix_loans_open", "returned_on", "due_on"),
        # the database keeps "one open loan per passport" too, not only the hand-out's lock on the passport
        Index("uq_loans_open_passport", "passport_id", unique=True, postgresql_where=text(OPEN),
              sqlite_where=text(OPEN)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    passport_id: Mapped[str] = mapped_column(String(36))
    mobility_id: Mapped[str] = mapped_column(String(36))
    handed_out_on: Mapped[date] = mapped_column(Date)
    handed_out_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handed_out_by: Mapped[str] = mapped_column(String(80))
    handed_out_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the clerk's display name
    handed_to: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    returned_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    returned_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    received_from: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the due date a reminder went for
    overdue_notified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    person_hold_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    school_hold_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Handover(Base):
    """A passport changing hands, as it happened: written once, never changed (on PostgreSQL a trigger refuses
    UPDATE and DELETE)."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_passport", "passport_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    passport_id: Mapped[str] = mapped_column(String(36))
    loan_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(20))  # handed_out | returned
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    on: Mapped[date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(80))  # the clerk
    by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)  # their display name (kept since 0003)
    person: Mapped[str] = mapped_column(String(200))  # who received it, or handed it back
    mobility_id: Mapped[str] = mapped_column(String(36))


class AuditEntry(Base):
    """Who did what to the register, every look at a whole number among it: append-only, never a number in it."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_passport", "passport_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    actor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)  # their display name (since 0003)
    action: Mapped[str] = mapped_column(String(20))
    passport_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PassportSettings(Base):
    """The office's rules, one row (id 1), with the issue's defaults."""

    __tablename__ = "passport_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handout_days_before: Mapped[int] = mapped_column(Integer, default=5)
    return_days: Mapped[int] = mapped_column(Integer, default=7)
    remind_days_before: Mapped[int] = mapped_column(Integer, default=3)
    school_hold_after_days: Mapped[int] = mapped_column(Integer, default=30)
    school_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
