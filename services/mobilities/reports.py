"""The report a record owes after the stay (a staff trip report, 出访报告, or a hosted event's summary): opened when
the record returns, due after the rule's days, handed in when long enough with its photos (and attendee list),
accepted by the school and then the ICD, published for the office's period, then the record closes. Accepting it
clears the holds its lateness placed."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.mobilities import domain, holds
from services.mobilities.events import announce
from services.mobilities.kinds import journey
from services.mobilities.models import Mobility, MobilityFile, Report
from services.mobilities.rules import rule_for


def open_for(session: Session, record: Mobility, now: datetime) -> Report | None:
    """The draft report a returned record owes (none for a kind that owes no report)."""
    if not domain.owes_report(journey(record.kind)) or record.returned_on is None:
        return None
    report = session.scalars(select(Report).where(Report.mobility_id == record.id)).first()
    if report is None:
        rule = rule_for(session, record.kind, record.category)
        report = Report(id=str(uuid.uuid4()), mobility_id=record.id, status="draft", sections={},
                        due_on=domain.report_due(record.returned_on, rule.due_days), updated_at=now)
        session.add(report)
    return report


def due(report: Report) -> date:
    """When the traveller owes it: its due date, or a returned report's own date to be corrected by."""
    return report.correct_by if report.status == "returned" and report.correct_by else report.due_on


def of(session: Session, record_id: str, lock: bool = False) -> Report | None:
    query = select(Report).where(Report.mobility_id == record_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def _count(session: Session, record_id: str, file_type: str) -> int:
    return int(session.scalar(select(func.count()).select_from(MobilityFile).where(
        MobilityFile.mobility_id == record_id, MobilityFile.file_type == file_type)) or 0)


def submit(session: Session, record: Mobility, report: Report, today: date, correlationid: str | None) -> None:
    if report.status not in ("draft", "returned"):
        raise domain.MobilityError(f"This report is '{report.status}': it was handed in already.")
    rule = rule_for(session, record.kind, record.category)
    problems = domain.report_problems(report, journey(record.kind), (rule.min_chars, rule.photos, rule.attendee_list),
                                      _count(session, record.id, "photo"), _count(session, record.id, "attendee_list"))
    if problems:
        raise domain.MobilityError("The report is not complete.", problems)
    report.status, report.submitted_on, report.comment = "submitted", today, None
    report.first_submitted_on = report.first_submitted_on or today  # on time or late: the first hand-in
    announce(session, "mobility.report_submitted", record, correlationid, report={
        "id": report.id, "due_on": report.due_on.isoformat(), "submitted_on": today.isoformat()})


def decide(session: Session, record: Mobility, report: Report, stage: str, outcome: str, by: str,
           comment: str | None, now: datetime, today: date, correlationid: str | None) -> None:
    rule = rule_for(session, record.kind, record.category)
    domain.decide_report(report, stage, outcome, by, comment, today, rule.publish_days)
    report.updated_at = now
    announce(session, "mobility.report_decided", record, correlationid, report={
        "id": report.id, "stage": stage, "outcome": "returned" if outcome == "return" else "accepted",
        "comment": comment, "decided_by": by, "due_on": report.due_on.isoformat()})
    if report.status == "accepted":
        record.status, record.updated_at = "reported", now
        announce(session, "mobility.reported", record, correlationid, report={
            "id": report.id, "due_on": report.due_on.isoformat(),
            "submitted_on": report.submitted_on.isoformat() if report.submitted_on else None,
            "on_time": report.first_submitted_on is not None and report.first_submitted_on <= report.due_on,
            "published_until": report.published_until.isoformat() if report.published_until else None})
        holds.clear(session, record, journey(record.kind).owes or "report", now, correlationid)


def published(session: Session, today: date) -> list[tuple[Report, Mobility]]:
    """Accepted reports within their publication period, newest first."""
    rows = session.execute(select(Report, Mobility).join(Mobility, Mobility.id == Report.mobility_id).where(
        Report.status == "accepted", Report.published_until >= today).order_by(Report.accepted_on.desc()))
    return [(report, record) for report, record in rows]


def shown(session: Session, record: Mobility, report: Report) -> dict[str, object]:
    rule = rule_for(session, record.kind, record.category)
    return {**{c: getattr(report, c) for c in ("id", "mobility_id", "status", "sections", "due_on", "submitted_on",
                                               "comment", "accepted_on", "published_until")},
            "required": {"min_chars": rule.min_chars, "photos": rule.photos, "attendee_list": rule.attendee_list,
                         "sections": list(journey(record.kind).sections)}}
