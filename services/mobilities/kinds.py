"""What following a mobility means for each kind of application, as data: the checklist before departure, the
dated steps, the files the traveller uploads, and what is owed after the stay. One entry per kind; a kind not named
here is followed with the bare lifecycle (departure, return) and owes nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Journey:
    checklist: tuple[str, ...] = ()       # ticked before departure is confirmed
    steps: tuple[str, ...] = ()           # dated steps besides departure, arrival and return
    files: tuple[str, ...] = ()           # file types the record takes
    owes: str | None = None               # report | summary | transcript | None
    sections: tuple[str, ...] = ()        # the report's template sections
    inbound: bool = False                 # comes to China: departure is entry, return is leaving
    arrival_proof: str | None = None      # a file that must be uploaded before arrival is recorded
    permit_due_days: int | None = None    # the residence permit is due this many days after entry


JOURNEYS: dict[str, Journey] = {
    "faculty_exchange": Journey(
        checklist=("passport_collected",), files=("photo",), owes="report",
        sections=("schedule", "results", "contacts", "follow_up", "spending")),
    "student_exchange": Journey(
        checklist=("insurance", "visa", "safety_briefing"), files=("arrival_confirmation", "transcript"),
        owes="transcript", arrival_proof="arrival_confirmation"),
    "foreign_expert": Journey(steps=("work_permit", "residence_permit"), inbound=True, permit_due_days=30),
    "hosted_event": Journey(
        steps=("held",), files=("photo", "attendee_list"), owes="summary",
        sections=("programme", "results", "follow_up"), inbound=True),
}
BARE = Journey()

# Report rules the office starts with, per kind (every category): min_chars, photos, due_days, publish_days,
# attendee_list. The office changes them per kind and category (report_rules).
DEFAULT_RULES: dict[str, tuple[int, int, int, int, bool]] = {
    "faculty_exchange": (2000, 2, 15, 15, False),
    "hosted_event": (3000, 2, 61, 15, True),
}
# A staff trip's categories (as the applications' faculty_exchange form names them), for rules per category.
CATEGORIES = ("general", "teaching_research", "hk_macao", "taiwan")
REPORTING = tuple(kind for kind, j in JOURNEYS.items() if j.owes in ("report", "summary"))
REMIND_DAYS_BEFORE = 3
CORRECT_DAYS = 7  # a report returned by a reviewer is due again this many days later (never before its due date)


def journey(kind: str) -> Journey:
    return JOURNEYS.get(kind, BARE)
