"""The mobilities service's own tables (its database holds the bus's outbox and inbox too, see eventbus.tables).

One `Mobility` per person of an approved application; its files, its report, its credit recognitions, its
extensions; the office's report rules and school-hold switches; the holds placed and the reminders sent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class Mobility(Base):
    """One person's trip or stay, from approval to its end.

    checklist: {item: {"done_on": iso date, "by": username}}; steps: {step: iso date} (work_permit, residence_permit,
    held).
    """

    __tablename__ = "mobilities"
    __table_args__ = (UniqueConstraint("application_id", "position", name="uq_mobility_person"),
                      Index("ix_mobilities_owner", "owner"), Index("ix_mobilities_school_status", "school", "status"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the traveller's place in the application (0 = the first)
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    school: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(80))
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    person_name: Mapped[str] = mapped_column(String(200))
    staff_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20))
    planned_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    approved_end: Mapped[date | None] = mapped_column(Date, nullable=True)  # the end the chain last approved
    departed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    arrived_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ended_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # a no-show's or cancellation's
    application_revision: Mapped[int] = mapped_column(Integer, default=0)  # the newest application news applied
    # The host institution, from the placements service's nomination.* news (a student exchange's partner that
    # approved the nomination); null until one does, and again once it is rejected or cancelled. The nomination
    # and its version and time are kept with it (also when cleared) so older or repeated news changes nothing.
    host_partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    host_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    host_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    host_nomination_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    host_revision: Mapped[int] = mapped_column(Integer, default=0)
    host_news_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def host(self) -> dict[str, Any] | None:
        """The host as the API shows it: {partner_id, name, country}, or None while no nomination is approved."""
        if self.host_partner_id is None:
            return None
        return {"partner_id": self.host_partner_id, "name": self.host_name, "country": self.host_country}


class MobilityFile(Base):
    """An uploaded file: the host's arrival confirmation, a transcript, a report's photo, an attendee list."""

    __tablename__ = "mobility_files"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mobility_id: Mapped[str] = mapped_column(String(36), index=True)
    file_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Report(Base):
    """The report a mobility owes: a staff trip report (出访报告) or an event's summary.

    status: draft → submitted → school_accepted → accepted; a reviewer's return sends it back to `returned`
    (edited and submitted again). sections: {section: text}.
    """

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mobility_id: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    sections: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    due_on: Mapped[date] = mapped_column(Date)
    submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    first_submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # on time or late: the first
    correct_by: Mapped[date | None] = mapped_column(Date, nullable=True)  # a returned report's own due date
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)  # the last reviewer's, on a return
    school_decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    icd_decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    published_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Recognition(Base):
    """One course taken abroad and what the home school recognises for it."""

    __tablename__ = "recognitions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mobility_id: Mapped[str] = mapped_column(String(36), index=True)
    host_course: Mapped[str] = mapped_column(String(200))
    credits: Mapped[Any] = mapped_column(Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(String(40), nullable=True)
    home_course: Mapped[str] = mapped_column(String(200))
    recognised_credits: Mapped[Any] = mapped_column(Numeric(6, 2))
    recorded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Extension(Base):
    """A stay beyond the approved dates, waiting for (or given) approval. status: pending | approved | refused."""

    __tablename__ = "extensions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mobility_id: Mapped[str] = mapped_column(String(36), index=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReportRule(Base):
    """What a report must hold and when it is due, per kind and (for staff trips) category; "*" for any."""

    __tablename__ = "report_rules"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    min_chars: Mapped[int] = mapped_column(Integer)
    photos: Mapped[int] = mapped_column(Integer)
    due_days: Mapped[int] = mapped_column(Integer)
    publish_days: Mapped[int] = mapped_column(Integer)
    attendee_list: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SchoolHold(Base):
    """The office's switch: a school whose overdue report holds every new application of the school."""

    __tablename__ = "school_holds"

    school: Mapped[str] = mapped_column(String(40), primary_key=True)
    on: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Hold(Base):
    """A hold placed on a person (or a school) for an overdue item of one record; cleared_at once done."""

    __tablename__ = "holds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mobility_id: Mapped[str] = mapped_column(String(36), index=True)
    what: Mapped[str] = mapped_column(String(40))  # report | summary | residence_permit
    scope: Mapped[str] = mapped_column(String(10))  # person | school
    due_on: Mapped[date] = mapped_column(Date)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Reminder(Base):
    """A notice already sent for one item (a reminder before its due date, an overdue notice after): sent once."""

    __tablename__ = "reminders"

    mobility_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    what: Mapped[str] = mapped_column(String(40), primary_key=True)
    notice: Mapped[str] = mapped_column(String(20), primary_key=True)  # due_soon | overdue
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)  # a moved due date gets its own notices
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
