"""Reviews' own tables (its database holds the bus's outbox and inbox too, see eventbus.tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class ReviewChain(Base):
    """One version of a kind's chain. Editing makes a new version; cases keep the version they began under.

    levels: [{"type": a level type (absent: "decision"), "role", "scope": "school" | "university", "days",
              "condition": {...} | null}] (see levels/ and conditions.py)
    """

    __tablename__ = "review_chains"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_chain_version"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewCase(Base):
    """The review of one application: the chain it runs under and where it stands."""

    __tablename__ = "review_cases"

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    program_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    school: Mapped[str] = mapped_column(String(40))
    applicant: Mapped[str] = mapped_column(String(80))
    # The applicant's full name from application.submitted, so the queue names people and searches by name.
    applicant_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    chain_kind: Mapped[str] = mapped_column(String(40))
    chain_version: Mapped[int] = mapped_column(Integer)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the levels that apply to this application
    application_version: Mapped[int] = mapped_column(Integer)  # the submitted version under review
    # The application's revision (its events' aggregateversion, moved by every change) last applied here:
    # older news is ignored. Null when the news carried none.
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    round: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # open | changes_requested | approved | rejected | withdrawn
    return_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The trip's public notice (公示) from application.submitted/resubmitted: all a publicity page may show.
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class PublicityNotice(Base):
    """A publicity period (公示) of one round of a case: the notice is public from opened_on, for the level's
    working days, to ends_on (dates in the office's time zone). An objection pauses it (remaining: the working
    days still to run); a dismissal resumes it. status: open | paused | ended | upheld | withdrawn, or blocked
    while the official calendar does not know the year (then reason says so, and no date is set)."""

    __tablename__ = "publicity_notices"
    __table_args__ = (UniqueConstraint("application_id", "round", name="uq_notice_per_round"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    round: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[str] = mapped_column(String(36))
    working_days: Mapped[int] = mapped_column(Integer)
    opened_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    remaining: Mapped[int | None] = mapped_column(Integer, nullable=True)  # working days left, while paused
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it is blocked
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the case's notice, as published
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Objection(Base):
    """An objection to a publicised trip, lodged under a staff member's name; an ICD officer upholds or
    dismisses it. Objectors are named only to the ICD."""

    __tablename__ = "publicity_objections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    notice_id: Mapped[int] = mapped_column(Integer, index=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    objector: Mapped[str] = mapped_column(String(80))
    objector_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    text: Mapped[str] = mapped_column(Text)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))  # open | upheld | dismissed
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


ACTIVE = "status IN ('open', 'claimed')"
ESCALATED = "escalated_at IS NOT NULL AND status IN ('open', 'claimed')"


class ReviewTask(Base):
    __tablename__ = "review_tasks"
    __table_args__ = (
        # One task per level per round: a second copy of the same news cannot open another. (Not per version:
        # a resubmission without edits keeps the version and starts a new round.)
        UniqueConstraint("application_id", "round", "level", name="uq_task_per_round_level"),
        # The queues and the deadline check read only the tasks still to be worked on (a few percent).
        Index("ix_tasks_active", "role", "school", "due_at", postgresql_where=text(ACTIVE), sqlite_where=text(ACTIVE)),
        Index("ix_tasks_escalated", "role", "due_at", postgresql_where=text(ESCALATED),
              sqlite_where=text(ESCALATED)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    application_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    program_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    applicant: Mapped[str] = mapped_column(String(80))
    applicant_name: Mapped[str] = mapped_column(String(120), default="", server_default="")  # copied from the case
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    level: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20), default="decision", server_default="decision")  # level type
    role: Mapped[str] = mapped_column(String(40))
    school: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # open | claimed | done | cancelled | waiting (publicity)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # since when it is held
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    overdue_notified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Decision(Base):
    """The append-only decision log: who decided what, at which level, on which version."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    round: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))  # approve | reject | return
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    internal_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    application_version: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarYear(Base):
    """A year of the official working-day calendar an administrator entered (or seeded from chinesecalendar):
    its days that differ from Monday to Friday are CalendarDay rows. A year here overrides the package."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")  # demo data, not official
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # calendar.changed's aggregateversion
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarDay(Base):
    """One day of an entered year that differs from Monday to Friday: a weekday holiday (workday false) or a
    调休 make-up weekend day (workday true)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column("date", Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")
