"""The placements service's own tables (its database holds the bus's outbox and inbox too, see eventbus.tables).

The office's register of agreements with partners and their terms (`Agreement`, `AgreementTerm`); the copies of
other services' news it works from (`Program` from program.saved, `Candidate` from application.approved); the
places per program and partner (`Place`); and the selection that fills them: a round per program (`Round`), the
scores entered by hand, one row per cell (`Score`), the append-only allocation runs (`AllocationRun`), the offers
to students (`Offer`) and the nominations to partners (`Nomination`). Migration 0001 creates them, 0002 the
差额公示's tables and the calendar copy, 0003 the offers' one-live-offer index, 0004 the nomination's link contact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.calendar_copy import CalendarDayColumns, CalendarYearColumns
from chassis.db import UTCDateTime

AGREEMENT_TYPES = ("mou", "student_exchange", "joint_programme")
AGREEMENT_STATUSES = ("draft", "signed", "expired", "terminated")
DIRECTIONS = ("outgoing", "incoming")
MOBILITY_TYPES = ("student_studies", "staff_teaching", "staff_training")
DEGREE_LEVELS = ("bachelor", "master", "doctoral")  # EWP: EQF 6, 7, 8
PLACE_SOURCES = ("agreement", "office")
CANDIDATE_STATUSES = ("eligible", "withdrawn", "excluded")  # excluded: an upheld objection to the list
ROUND_STATUSES = ("open", "allocated", "publicised", "final", "closed")
CRITERIA = ("interview", "bonus")
OFFER_STATUSES = ("offered", "accepted", "declined", "lapsed", "withdrawn", "superseded")
NOMINATION_STATUSES = ("nominated", "approved", "rejected", "cancelled")


class Base(DeclarativeBase):
    pass


class Agreement(Base):
    """An inter-institutional agreement with a partner, as the office keeps it. `partner_id` is the applications
    service's partner when the system knows it (null for a partner it does not know yet); `reminder_sent_for` is the
    `valid_to` a reminder was sent for, so the sweep reminds once per end date. `version` is the optimistic lock."""

    __tablename__ = "agreements"
    __table_args__ = (Index("ix_agreements_partner", "partner_id"), Index("ix_agreements_status_to", "status",
                                                                          "valid_to"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    partner_country: Mapped[str] = mapped_column(String(2))
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reminder_sent_for: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class AgreementTerm(Base):
    """One cooperation condition of an agreement (EWP IIA-like): who moves which way, how many a year, for how
    long, in which subjects (ISCED-F 2013 codes), at which levels and with which language. `academic_years` is a
    list of "2031/2032" strings; empty means every year the agreement is valid."""

    __tablename__ = "agreement_terms"
    __table_args__ = (Index("ix_agreement_terms_agreement", "agreement_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(36), ForeignKey("agreements.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(10))
    mobility_type: Mapped[str] = mapped_column(String(20))
    places_per_year: Mapped[int] = mapped_column(Integer, default=0)
    total_months: Mapped[int] = mapped_column(Integer, default=0)
    subject_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    degree_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    academic_years: Mapped[list[str]] = mapped_column(JSON, default=list)


class Program(Base):
    """A program as the applications service last told it (program.saved); `version` is the aggregateversion
    applied, so older news changes nothing. `partners` is [{partner_id, name, country, region}]."""

    __tablename__ = "programs"

    program_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    partners: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Place(Base):
    """How many students of a program a partner takes: from the agreements (`source` agreement, `agreement_id` the
    one that gave most) or set by the office (`source` office), which a recount from agreements keeps."""

    __tablename__ = "places"

    program_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(200), default="")
    places: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(10))
    agreement_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    set_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Candidate(Base):
    """An approved student_exchange application competing for a place (application.approved's `selection`):
    its choices first choice first, its GPA and language result. `revision` is the aggregateversion applied."""

    __tablename__ = "candidates"
    __table_args__ = (Index("ix_candidates_program", "program_id", "status"),
                      Index("ix_candidates_applicant", "applicant"))

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(36))
    applicant: Mapped[str] = mapped_column(String(80))
    applicant_name: Mapped[str] = mapped_column(String(200), default="")
    applicant_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    school: Mapped[str | None] = mapped_column(String(40), nullable=True)
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    gpa: Mapped[Decimal | None] = mapped_column(Numeric(4, 2), nullable=True)
    language_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), nullable=True)
    term: Mapped[str | None] = mapped_column(String(20), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="eligible")
    revision: Mapped[int] = mapped_column(Integer, default=0)


class Round(Base):
    """The selection round of one program: its formula (weights, language scales), its deadlines in days, its
    state. One round per program that is not closed (the partial unique index)."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ux_rounds_program_live", "program_id", unique=True,
                            postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="open")
    formula: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    offer_days: Mapped[int] = mapped_column(Integer, default=7)
    publicity_days: Mapped[int] = mapped_column(Integer, default=5)
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class Score(Base):
    """One hand-entered cell of a round (an interview mark or a bonus): a row per cell, so two coordinators scoring
    at once never overwrite each other's entries."""

    __tablename__ = "scores"

    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    criterion: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    entered_by: Mapped[str] = mapped_column(String(80))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AllocationRun(Base):
    """One run of the allocation, append-only: everything it was given (`inputs`) and what it decided
    (`result`), so any run can be explained and replayed."""

    __tablename__ = "allocation_runs"
    __table_args__ = (Index("ux_allocation_runs_number", "round_id", "number", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("rounds.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    run_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(30))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class Offer(Base):
    """A place offered to a student by a run, until they answer, it lapses at `deadline`, or a later run
    supersedes it."""

    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_round", "round_id", "status"), Index("ix_offers_application", "application_id"),
                      Index("ix_offers_deadline", "status", "deadline"),
                      # one live offer per student and round (migration 0003): the backstop under the lock order
                      Index("ux_offers_round_application_live", "round_id", "application_id", unique=True,
                            postgresql_where=text("status IN ('offered', 'accepted')"),
                            sqlite_where=text("status IN ('offered', 'accepted')")))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("rounds.id", ondelete="CASCADE"))
    application_id: Mapped[str] = mapped_column(String(36))
    partner_id: Mapped[str] = mapped_column(String(36))
    partner_name: Mapped[str] = mapped_column(String(200), default="")
    run_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="offered")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Nomination(Base):
    """A student nominated to a partner (EWP omobility-like statuses), answered by the office or by the partner
    through a signed single-use link (`link_nonce`, `link_expires_at`, `link_used_at`). `link_contact_email` is the
    partner contact the link was mailed to (migration 0004; null on older rows): the link's answer names them."""

    __tablename__ = "nominations"
    __table_args__ = (Index("ix_nominations_round", "round_id", "status"),
                      Index("ix_nominations_application", "application_id"),
                      Index("ux_nominations_nonce", "link_nonce", unique=True))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("rounds.id", ondelete="CASCADE"))
    application_id: Mapped[str] = mapped_column(String(36))
    partner_id: Mapped[str] = mapped_column(String(36))
    partner_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="nominated")
    nominated_by: Mapped[str] = mapped_column(String(80))
    nominated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(254), nullable=True)  # a username or "partner:<email>"
    answered_via: Mapped[str | None] = mapped_column(String(10), nullable=True)  # office | link
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    letter: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    link_nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)
    link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    link_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    link_contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


# -- the 差额公示 of a round's candidate list (migration 0002) -----------------------------------------------------

LIST_NOTICE_STATUSES = ("blocked", "open", "paused", "ended")
LIST_OBJECTION_STATUSES = ("open", "upheld", "dismissed")


class CalendarYear(CalendarYearColumns, Base):
    """A year of the official working-day calendar as reviews entered it (calendar.changed): placements' copy
    (columns: chassis.calendar_copy)."""


class CalendarDay(CalendarDayColumns, Base):
    """One day of a copied year that differs from Monday to Friday (columns: chassis.calendar_copy)."""


class ListNotice(Base):
    """The 差额公示 of a round: its candidate list as published (`content`: position, name, school, score, the
    allocated partner or "waiting"), for `working_days` official working days from `opened_on` to `ends_on`;
    paused by an objection with `remaining` days to run; blocked (with the reason) while the calendar does not
    know the year. One per round: an upheld objection republishes the list in the same notice."""

    __tablename__ = "list_notices"
    __table_args__ = (Index("ix_list_notices_status", "status", "ends_on"),)

    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="blocked")
    opened_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    remaining: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    content: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ListObjection(Base):
    """An objection to a round's published list, optionally about one candidate (`application_id`); decided by
    the ICD: upheld (that candidate leaves the round) or dismissed (the period resumes)."""

    __tablename__ = "list_objections"
    __table_args__ = (Index("ix_list_objections_round", "round_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("list_notices.round_id", ondelete="CASCADE"))
    objector: Mapped[str] = mapped_column(String(80))
    objector_name: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    application_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
