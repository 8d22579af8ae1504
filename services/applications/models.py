"""Applications' own tables (its database holds the bus's outbox and inbox too, see eventbus.tables), and the
statistics read model (stats_*), which only the event handlers in reporting.py write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from chassis.calendar_copy import CalendarDayColumns, CalendarYearColumns
from chassis.db import UTCDateTime


class Base(DeclarativeBase):
    pass


REGIONS = ("belt_and_road", "asean", "europe", "americas", "other")

program_partners = Table(
    "program_partners",
    Base.metadata,
    Column("program_id", String(36), ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", String(36), ForeignKey("partners.id", ondelete="RESTRICT"), primary_key=True),
)


class Partner(Base):
    """A partner institution abroad."""

    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    region: Mapped[str] = mapped_column(String(20))


class Program(Base):
    """An exchange program: its partners, its seats and its application window (the call)."""

    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    seats: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # +1 on every change, its partners' renames included: program.saved's aggregateversion, so a copy skips older news
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    partners: Mapped[list[Partner]] = relationship(secondary=program_partners, lazy="selectin", order_by=Partner.name)


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_updated", "updated_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    program_id: Mapped[str | None] = mapped_column(
        ForeignKey("programs.id", name="fk_applications_program"), nullable=True, index=True
    )
    applicant: Mapped[str] = mapped_column(String(80), index=True)
    applicant_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    applicant_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    school: Mapped[str] = mapped_column(String(40), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the content's: 1 when created, +1 per edit by the applicant
    revision: Mapped[int] = mapped_column(Integer)  # the row's: +1 on every change (the events' aggregateversion)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Loaded with the application (a second SELECT, not a join: FOR UPDATE cannot lock an outer join's side):
    # its titles and facts need the program's name and partners.
    program: Mapped[Program | None] = relationship(lazy="selectin")

    # Optimistic locking as the floor under the API's version checks: an UPDATE only succeeds if the row
    # still has the revision it was read with (a write that read the row without its lock loses the race, 409).
    # The revision, not the version: a status change by the saga must be caught too, and it leaves the version.
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


class HistoryEntry(Base):
    """One status change: who, when, from → to, with the content version at that step and an optional comment."""

    __tablename__ = "application_history"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    from_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_status: Mapped[str] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Never loaded; it tells the unit of work to insert an application before its first history entry.
    application: Mapped[Application] = relationship(lazy="raise")


class Document(Base):
    """An uploaded file: stored under its generated id, never under the name the uploader gave."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Submission(Base):
    """What was submitted each time (submissions.py writes it with the submit): the form and the documents'
    names, so a reviewer in a later round sees what changed since the last."""

    __tablename__ = "application_submissions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the content version submitted
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"doc_type", "filename"}], oldest first
    # Never loaded; it tells the unit of work to insert an application before its first submission.
    application: Mapped[Application] = relationship(lazy="raise")


class MobilityFact(Base):
    """The read model's row per application: its latest status and its `mobility` facts, from application.*
    events. No foreign keys: it is fed by events only, and could move to its own database unchanged."""

    __tablename__ = "stats_mobilities"
    __table_args__ = (Index("ix_stats_mobilities_year_status", "academic_year", "status"),)

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # the aggregateversion (the application's revision) last applied: older news is ignored
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    school: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30))
    direction: Mapped[str] = mapped_column(String(10))
    people: Mapped[int] = mapped_column(Integer)
    partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    partner_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    region: Mapped[str | None] = mapped_column(String(20), nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    duration_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_band: Mapped[str | None] = mapped_column(String(20), nullable=True)
    academic_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A student exchange's partner is the one allocated (placements: an accepted offer, an approved nomination)
    # once there is one; until then, and again after a rejected or cancelled nomination, the first choice the
    # application's facts name (kept in choice_*). partner_* above is always the one counted.
    choice_partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    choice_partner_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    choice_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    choice_region: Mapped[str | None] = mapped_column(String(20), nullable=True)
    allocated_partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    allocated_partner_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    allocated_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    allocated_region: Mapped[str | None] = mapped_column(String(20), nullable=True)
    selection_round_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    allocation_news_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # newest news applied


class PlaceFact(Base):
    """The read model's row per selection round and partner: the places the round's latest allocation run had
    at that partner (placements' allocation.completed). Taken and unused places are counted against it from the
    allocations in stats_mobilities; fed by events only, like the rest."""

    __tablename__ = "stats_places"

    round_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    partner_name: Mapped[str] = mapped_column(String(200), default="")
    academic_year: Mapped[int | None] = mapped_column(Integer, nullable=True)  # null: its students' year
    places: Mapped[int] = mapped_column(Integer)
    run_number: Mapped[int] = mapped_column(Integer)  # the run these places are from: older runs change nothing


class ReviewStep(Base):
    """The read model's row per review task, from review.task_created and review.decision_recorded: when it
    was opened, when and how it was decided (either event may arrive first). Its school, region and the like
    are its application's (stats_mobilities): a university-wide level's task has no school of its own."""

    __tablename__ = "stats_review_steps"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    level: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)


class MobilityRecordFact(Base):
    """The read model's row per mobility record (one person's trip or stay after approval; a group's members
    share the application), from the mobilities service's mobility.* events: what really happened after the
    approval. Counted per application through stats_mobilities (its filters), and per person."""

    __tablename__ = "stats_mobility_records"

    mobility_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    # the record's aggregateversion last applied to status and returned_on: older news is ignored
    version: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(10))  # leader | member | student | expert | event (not a person)
    status: Mapped[str] = mapped_column(String(20))
    returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # What happened once stays true, whichever news tells it first (see reporting.py)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    shortened: Mapped[bool] = mapped_column(Boolean, default=False)
    report_on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # null: no report accepted
    report_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the news report_on_time is from


class TripRule(Base):
    """The office's limits for one category of staff trip abroad (trip_rules.py checks a filing against them).
    A null limit is no limit (teaching-and-research trips, say). `days_by_countries` maps a number of countries
    ("1", "2", "3") to the most days from leaving to re-entering China; lead time is in calendar or working
    days (`lead_unit`: days | working_days)."""

    __tablename__ = "trip_rules"

    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    max_countries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    days_by_countries: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    lead_time: Mapped[int] = mapped_column(Integer)
    lead_unit: Mapped[str] = mapped_column(String(20))


class SchoolLeadTime(Base):
    """A school's own lead time for a category, instead of the category's."""

    __tablename__ = "trip_school_lead_times"

    school: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    lead_time: Mapped[int] = mapped_column(Integer)
    lead_unit: Mapped[str] = mapped_column(String(20))


class Allowance(Base):
    """A country's allowances for staff abroad (财行〔2013〕516号 and its successors): lodging per person-night
    and meals and incidentals per person-day, in the allowance's currency, with the office's rate to yuan.
    `example` marks the seeded rows the office must replace with its current table."""

    __tablename__ = "trip_allowances"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    lodging: Mapped[str] = mapped_column(String(20))  # a decimal string, as budgets are
    meals: Mapped[str] = mapped_column(String(20))
    cny_rate: Mapped[str] = mapped_column(String(20))  # yuan per unit of the currency
    example: Mapped[bool] = mapped_column(Boolean, default=False)


class TripPlan(Base):
    """A school's annual plan of trips abroad (年度出访计划): how many trips and people it planned for a year."""

    __tablename__ = "trip_plans"

    school: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    trips: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)


class ApprovalSeries(Base):
    """One year's numbering of 任务批件 (approvals.py): its prefix and the last sequence number given. The row is
    locked while a number is taken, so numbers are gap-free and never given twice."""

    __tablename__ = "approval_series"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prefix: Mapped[str] = mapped_column(String(40))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class ApprovalDocument(Base):
    """A 任务批件: one revision of an approved application's numbered approval. A change makes the next revision
    (same number, new token) and the former one superseded; cancelling the application cancels the current one.
    `content` is what the document says, as it was when issued."""

    __tablename__ = "approval_documents"
    __table_args__ = (Index("ix_approval_documents_application", "application_id", "revision", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(80))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the verification URL's secret (192 bits)
    status: Mapped[str] = mapped_column(String(20))  # valid | superseded | cancelled
    superseded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the revision that replaced it
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApprovalSignoff(Base):
    """One reviewer's approval at one review level, from review.decision_recorded (event-carried: the reviews
    service owns the decisions). A 任务批件 lists each level's latest approval before it was issued."""

    __tablename__ = "approval_signoffs"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    level: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(40))
    reviewer: Mapped[str] = mapped_column(String(80))
    reviewer_name: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarYear(CalendarYearColumns, Base):
    """A year of the official working-day calendar as reviews entered it: applications' copy (columns:
    chassis.calendar_copy)."""


class CalendarDay(CalendarDayColumns, Base):
    """One day of a copied year that differs from Monday to Friday (columns: chassis.calendar_copy)."""


class ChangeRequest(Base):
    """A change of an approved application (dates, itinerary, members): the form it would become, re-approved
    from the level its chain names (change_requests.py). Approved, it becomes the application's next version
    and its 任务批件's next revision; rejected, the approved form stands."""

    __tablename__ = "change_requests"
    __table_args__ = (Index("ix_change_requests_application", "application_id", "number", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per application
    version: Mapped[int] = mapped_column(Integer)  # the content version it becomes when approved
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending | approved | rejected | cancelled (the trip was)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The traveller's extension (mobilities' mobility.extension_requested) this change carries out, if any: one
    # change per extension, and its verdict names it so that mobilities learns the outcome (extensions.py).
    extension_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True)


class Hold(Base):
    """A hold mobilities placed (mobility.hold_placed): while it stands, whoever it names may not submit an
    application (holds.py). Its clearing (mobility.hold_cleared) keeps the row with `cleared_at` set, so a
    placement that arrives after its clearing finds it and stays cleared."""

    __tablename__ = "holds"

    hold_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # person | school
    username: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    staff_number: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    school: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(40))  # report_overdue | residence_permit_overdue | ...
    mobility_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    title: Mapped[str] = mapped_column(String(200))  # the mobility's, naming what is overdue
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    clears: Mapped[str] = mapped_column(String(60))  # what clears it: report_accepted, ...
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

