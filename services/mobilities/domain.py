"""The rules of a mobility's life, pure Python (no I/O): the lifecycle, what each step needs, what is due when.

planned → departed → returned → reported → closed; cancelled and no_show end a record before departure. An inbound
expert's "departed" is the entry into China and "returned" the leaving; a hosted event goes from planned to
returned when it is held. Each transition returns the event type it announces.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.mobilities.kinds import CORRECT_DAYS, Journey, journey
from services.mobilities.models import Mobility, Report

LIVE = ("planned", "departed", "returned", "reported")
ENDS = ("closed", "cancelled", "no_show")
ROLES = ("leader", "member", "student", "expert", "event")


class MobilityError(Exception):
    """A step the record's state does not allow (HTTP 409), or bad values (HTTP 422 with `errors`)."""

    status = 409

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors
        if errors:
            self.status = 422


def _invalid(field: str, message: str) -> MobilityError:
    return MobilityError("Invalid value.", {field: [message]})


def _need(record: Mobility, *statuses: str, doing: str) -> None:
    if record.status not in statuses:
        raise MobilityError(f"This mobility is '{record.status}': it cannot {doing} now.")


def _not_future(field: str, on: date, today: date) -> None:
    if on > today:
        raise _invalid(field, "Must not be in the future.")


def travellers(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The people of an approved application (its event's `travellers`); the applicant alone when it names none."""
    people = [p for p in data.get("travellers") or () if isinstance(p, dict) and p.get("name")]
    if people:
        return [{"name": str(p["name"])[:200], "staff_number": p.get("staff_number") or None,
                 "role": p.get("role") if p.get("role") in ROLES else "member"} for p in people]
    role = {"student_exchange": "student", "foreign_expert": "expert", "hosted_event": "event"}.get(
        data["kind"], "leader")
    return [{"name": data.get("applicant_name") or data["applicant"], "staff_number": None, "role": role}]


def missing_checklist(record: Mobility) -> list[str]:
    return [item for item in journey(record.kind).checklist if item not in (record.checklist or {})]


def tick(record: Mobility, item: str, on: date, by: str, today: date) -> None:
    if item not in journey(record.kind).checklist:
        raise _invalid("item", f"Not on this kind's checklist: {', '.join(journey(record.kind).checklist) or 'none'}.")
    _need(record, "planned", doing="change its checklist")
    _not_future("on", on, today)
    record.checklist = {**(record.checklist or {}), item: {"done_on": on.isoformat(), "by": by}}


def depart(record: Mobility, on: date, today: date) -> str:
    _need(record, "planned", doing="depart")
    _not_future("date", on, today)
    missing = missing_checklist(record)
    if missing:
        raise MobilityError(f"The checklist before departure is not complete: {', '.join(missing)}.")
    record.departed_on = on
    if journey(record.kind).inbound:
        record.arrived_on = on  # an expert's entry into China is their arrival
    record.status = "departed"
    return "mobility.departed"


def arrive(record: Mobility, on: date, today: date, proofs: set[str]) -> str:
    _need(record, "departed", doing="arrive")
    _not_future("date", on, today)
    if record.departed_on and on < record.departed_on:
        raise _invalid("date", "Must not be before the departure.")
    proof = journey(record.kind).arrival_proof
    if proof and proof not in proofs:
        raise MobilityError(f"Upload the host's arrival confirmation ({proof}) first.")
    record.arrived_on = on
    return "mobility.arrived"


def come_back(record: Mobility, on: date, today: date) -> str:
    _need(record, "departed", doing="return")
    _not_future("date", on, today)
    if record.departed_on and on < record.departed_on:
        raise _invalid("date", "Must not be before the departure.")
    if record.arrived_on and on < record.arrived_on:
        raise _invalid("date", "Must not be before the arrival.")
    record.returned_on = on
    record.status = "returned"
    return "mobility.returned"


def hold_event(record: Mobility, on: date, today: date) -> str:
    """A hosted event was held on `on`: it is over, and its summary becomes due."""
    if "held" not in journey(record.kind).steps:
        raise _invalid("step", "Only a hosted event is held.")
    _need(record, "planned", doing="be held")
    _not_future("date", on, today)
    record.steps = {**(record.steps or {}), "held": on.isoformat()}
    record.departed_on = record.departed_on or on
    record.returned_on = on
    record.status = "returned"
    return "mobility.returned"


def record_step(record: Mobility, step: str, on: date, today: date) -> None:
    """A dated step besides the lifecycle (an expert's work or residence permit)."""
    if step not in journey(record.kind).steps or step == "held":
        raise _invalid("step", f"Not a step of this kind: {', '.join(journey(record.kind).steps) or 'none'}.")
    _need(record, "departed", "returned", doing="record a permit")
    _not_future("date", on, today)
    record.steps = {**(record.steps or {}), step: on.isoformat()}


def no_show(record: Mobility, reason: str) -> str:
    _need(record, "planned", doing="be a no-show")
    record.status, record.ended_reason = "no_show", reason
    return "mobility.no_show"


def cancel(record: Mobility, reason: str | None) -> str | None:
    """The trip was cancelled: a record not yet under way ends; one under way keeps its course."""
    if record.status != "planned":
        return None
    record.status, record.ended_reason = "cancelled", reason
    return "mobility.cancelled"


def close(record: Mobility, on: date) -> str:
    record.status, record.closed_on = "closed", on
    return "mobility.closed"


def dates_change(record: Mobility, end: date, today: date) -> str:
    """"shortened": within the approved dates, applied at once; "extended": beyond them, needs approval."""
    _need(record, "planned", "departed", doing="change its dates")
    if record.planned_start and end < record.planned_start:
        raise _invalid("end_date", "Must not be before the start of the stay.")
    if record.departed_on and end < record.departed_on:
        raise _invalid("end_date", "Must not be before the departure.")
    if end == record.planned_end:
        raise _invalid("end_date", "That is the end date already.")
    approved = record.approved_end or record.planned_end
    return "shortened" if approved is None or end <= approved else "extended"


def permit_due(record: Mobility) -> date | None:
    days = journey(record.kind).permit_due_days
    if days is None or record.departed_on is None or "residence_permit" in (record.steps or {}):
        return None
    if record.status not in ("departed",):
        return None
    return record.departed_on + timedelta(days=days)


def report_due(returned_on: date, due_days: int) -> date:
    return returned_on + timedelta(days=due_days)


def owes_report(j: Journey) -> bool:
    return j.owes in ("report", "summary")


def report_problems(report: Report, j: Journey, rule: tuple[int, int, bool], photos: int, attendee_lists: int
                    ) -> dict[str, list[str]]:
    """What keeps a report from being handed in: empty sections, too short, too few photos, no attendee list."""
    min_chars, min_photos, attendees = rule
    errors: dict[str, list[str]] = {}
    sections = report.sections or {}
    for name in j.sections:
        if not (sections.get(name) or "").strip():
            errors[name] = ["Write this section."]
    length = sum(len((sections.get(name) or "").strip()) for name in j.sections)
    if length < min_chars:
        errors.setdefault("sections", []).append(
            f"The report must be at least {min_chars} characters long; it has {length}.")
    if photos < min_photos:
        errors.setdefault("photos", []).append(f"Upload at least {min_photos} photos; there are {photos}.")
    if attendees and attendee_lists < 1:
        errors.setdefault("attendee_list", []).append("Upload the attendee list.")
    return errors


def decide_report(report: Report, stage: str, outcome: str, by: str, comment: str | None, today: date,
                  publish_days: int) -> None:
    expected = {"school": "submitted", "icd": "school_accepted"}[stage]
    if report.status != expected:
        raise MobilityError(f"This report is '{report.status}': it is not waiting for the {stage} stage.")
    if outcome == "return":
        if not (comment or "").strip():
            raise _invalid("comment", "Say what to change.")
        report.status, report.comment = "returned", comment
        report.correct_by = max(report.due_on, today + timedelta(days=CORRECT_DAYS))
    elif stage == "school":
        report.status, report.comment = "school_accepted", comment
    else:
        report.status, report.accepted_on, report.comment = "accepted", today, comment
        report.published_until = today + timedelta(days=publish_days)
    if stage == "school":
        report.school_decided_by = by
    else:
        report.icd_decided_by = by
