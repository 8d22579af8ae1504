"""The 任务批件 (approval document) of an approved application: its number, its revisions, its cancellation and
the approvals it lists.

A kind with `approval_document` gets one on final approval, in the transaction that marks the application
approved (handlers.on_review_completed). Its number is `<prefix>〔<year>〕<seq>号`: the year is the approval's in
the office's time zone, the prefix the year's (an admin sets it; MOBILITY_APPROVAL_PREFIX until then), and the
sequence is gap-free per year. The year's row in approval_series is created if missing (INSERT … ON CONFLICT DO
NOTHING) and then incremented with one UPDATE … RETURNING, which holds its row lock until the transaction ends:
two approvals at once get consecutive numbers, and a rolled-back approval gives its number back.

A change after approval makes a new revision (`supersede`): the same number, a new verification token, the former
revision `superseded` by it. Cancelling the application cancels the current revision. Each revision has its own
token (192 random bits) for the public verification page, which shows only `verification()`'s fields.

The approvals the document lists (level, role, name, date) are the reviews service's decisions, carried here by
review.decision_recorded (its `reviewer_name`) into approval_signoffs; the deciding level is also known from
review.completed, which may arrive first, so the document keeps that one in its content as a fallback.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from chassis.settings import Settings
from services.applications import domain
from services.applications.models import Application, ApprovalDocument, ApprovalSeries, ApprovalSignoff

VALID, SUPERSEDED, CANCELLED = "valid", "superseded", "cancelled"
VERIFIED_FIELDS = ("number", "revision", "names", "countries", "start_date", "end_date", "status", "superseded_by")


@dataclass(frozen=True)
class Numbering:
    """How numbers are made: the prefix of a year nobody has set one for, and the office's time zone."""

    prefix: str = Settings.approval_prefix
    timezone: str = Settings.timezone

    @classmethod
    def of(cls, settings: Settings) -> Numbering:
        return cls(prefix=settings.approval_prefix, timezone=settings.timezone)


DEFAULT_NUMBERING = Numbering()


def format_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}〔{year}〕{seq}号"


def office_year(at: datetime, timezone: str) -> int:
    return at.astimezone(ZoneInfo(timezone)).year


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def ensure_series(session: Session, year: int, prefix: str) -> None:
    """The year's row, created with `prefix` if nobody made it yet (two creators at once: one inserts)."""
    session.execute(_insert(session)(ApprovalSeries).values(year=year, prefix=prefix, last_seq=0)
                    .on_conflict_do_nothing(index_elements=["year"]))


def set_prefix(session: Session, year: int, prefix: str) -> ApprovalSeries:
    """An admin's prefix for a year: numbers given from now on carry it (those given keep theirs)."""
    ensure_series(session, year, prefix)
    series = session.get(ApprovalSeries, year, with_for_update=True, populate_existing=True)
    assert series is not None
    series.prefix = prefix
    return series


def next_number(session: Session, year: int, default_prefix: str) -> tuple[str, int]:
    """The year's next (prefix, sequence number); the series row stays locked until the caller's commit."""
    ensure_series(session, year, default_prefix)
    taken = session.execute(
        update(ApprovalSeries).where(ApprovalSeries.year == year)
        .values(last_seq=ApprovalSeries.last_seq + 1)
        .returning(ApprovalSeries.prefix, ApprovalSeries.last_seq)
        .execution_options(synchronize_session=False)
    ).one()
    return str(taken.prefix), int(taken.last_seq)


def issue(session: Session, application: Application, now: datetime, numbering: Numbering = DEFAULT_NUMBERING,
          decided: dict[str, Any] | None = None) -> ApprovalDocument:
    """Revision 1 of the application's document, with the year's next number."""
    year = office_year(now, numbering.timezone)
    prefix, seq = next_number(session, year, numbering.prefix)
    document = _document(application, format_number(prefix, year, seq), year, seq, 1, now, decided)
    session.add(document)
    return document


def supersede(session: Session, application: Application, now: datetime,
              decided: dict[str, Any] | None = None) -> ApprovalDocument:
    """After an approved change: the current revision is superseded by the next, which has the same number,
    a new token and the application's content as it is now."""
    previous = current(session, application.id, for_update=True)
    if previous is None:
        raise LookupError(f"Application {application.id} has no approval document to supersede.")
    previous.status, previous.superseded_by = SUPERSEDED, previous.revision + 1
    document = _document(application, previous.number, previous.year, previous.seq, previous.revision + 1, now,
                         decided)
    session.add(document)
    return document


def cancel(session: Session, application: Application, reason: str, now: datetime) -> ApprovalDocument | None:
    """The application was cancelled: so is its current document (if its kind has one)."""
    document = current(session, application.id, for_update=True)
    if document is not None:
        document.status, document.cancel_reason, document.cancelled_at = CANCELLED, reason, now
    return document


def current(session: Session, application_id: str, for_update: bool = False) -> ApprovalDocument | None:
    """The newest revision of the application's document, or None."""
    query = (select(ApprovalDocument).where(ApprovalDocument.application_id == str(application_id))
             .order_by(ApprovalDocument.revision.desc()).limit(1))
    return session.scalars(query.with_for_update() if for_update else query).first()


def by_token(session: Session, token: str) -> ApprovalDocument | None:
    return session.scalars(select(ApprovalDocument).where(ApprovalDocument.token == token)).first()


def _document(application: Application, number: str, year: int, seq: int, revision: int, now: datetime,
              decided: dict[str, Any] | None) -> ApprovalDocument:
    return ApprovalDocument(
        id=str(uuid.uuid4()), application_id=application.id, number=number, year=year, seq=seq, revision=revision,
        token=secrets.token_urlsafe(24), status=VALID, content={**content_of(application), "decided": decided},
        issued_at=now,
    )


def content_of(application: Application) -> dict[str, Any]:
    """What the document says about the trip, as the application is now: the group (its titles, the applicant),
    the members, the itinerary, the days and the funding. A single-destination form (the older staff-trip
    payload) is one stop with the applicant travelling alone."""
    form = application.form or {}
    start, end = form.get("start_date"), form.get("end_date")
    members = [
        {key: member.get(key) for key in ("name", "school", "post", "title", "leader")}
        for member in form.get("members") or []
    ] or [{"name": application.applicant_name or application.applicant, "school": application.school,
           "post": None, "title": None, "leader": True}]
    itinerary = [
        {key: stop.get(key) for key in ("country", "city", "institution", "arrival", "departure")}
        for stop in form.get("itinerary") or []
    ]
    if not itinerary and form.get("destination_country"):
        itinerary = [{"country": form.get("destination_country"), "city": None,
                      "institution": form.get("destination_institution"), "arrival": start, "departure": end}]
    countries = list(dict.fromkeys(stop["country"] for stop in itinerary if stop.get("country")))
    days = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1 if start and end else None
    return {
        "application_id": application.id, "kind": application.kind,
        "titles": domain.titles_of(application.kind, form, application.program),
        "applicant": application.applicant, "applicant_name": application.applicant_name,
        "school": application.school, "category": form.get("category"), "purpose": form.get("purpose"),
        "tasks": form.get("tasks"), "members": members, "itinerary": itinerary, "countries": countries,
        "start_date": start, "end_date": end, "days": days, "funding_source": form.get("funding_source"),
        "budget": form.get("budget"), "budget_lines": form.get("budget_lines"),
    }


def verification(document: ApprovalDocument) -> dict[str, Any]:
    """All that the public verification page may show: the number, the names, the countries, the dates and
    the status. Nothing else of the application leaves through it."""
    content = document.content
    return {
        "number": document.number, "revision": document.revision,
        "names": [member["name"] for member in content.get("members") or []],
        "countries": list(content.get("countries") or []), "start_date": content.get("start_date"),
        "end_date": content.get("end_date"), "status": document.status, "superseded_by": document.superseded_by,
    }


def signoffs(session: Session, document: ApprovalDocument) -> list[dict[str, Any]]:
    """Each level's latest approval given before the document was issued, lowest level first; the deciding
    level from review.completed where its decision_recorded has not arrived yet."""
    rows = session.scalars(
        select(ApprovalSignoff).where(ApprovalSignoff.application_id == document.application_id,
                                      ApprovalSignoff.decided_at <= document.issued_at)
        .order_by(ApprovalSignoff.decided_at)
    )
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        latest[row.level] = {"level": row.level, "role": row.role, "name": row.reviewer_name or row.reviewer,
                             "decided_at": row.decided_at.isoformat()}
    decided = document.content.get("decided") or {}
    if decided.get("level") and decided["level"] not in latest:
        latest[decided["level"]] = {"level": decided["level"], "role": None, "name": decided.get("decided_by"),
                                    "decided_at": decided.get("decided_at")}
    return [latest[level] for level in sorted(latest)]


def on_review_decision_recorded(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """Keep each approval: who (and their name), at which level and role, when. Returns and rejections end a
    round without a document, so they are not kept."""
    if data["outcome"] != "approve" or session.get(ApprovalSignoff, data["task_id"]) is not None:
        return
    session.add(ApprovalSignoff(
        task_id=data["task_id"], application_id=data["application_id"], level=data["level"], role=data["role"],
        reviewer=data["reviewer"], reviewer_name=data.get("reviewer_name") or data["reviewer"],
        decided_at=datetime.fromisoformat(data["decided_at"]),
    ))


HANDLERS = {"review.decision_recorded": on_review_decision_recorded}
