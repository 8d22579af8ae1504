"""A mobility record's codes in words (services/mobilities): its status as the kind lives it (an expert "entered
China", an event "held"), the checklist items, dated steps, file types, report sections and statuses, an extension's
status, a traveller's role, what is due; and the service's own English refusals in the reader's language.

The pages of the traveller (web/mobility_pages.py) and of the reviewers read these; a code not listed here is shown
as it came, never an error.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # named so that pybabel extracts it

from gateway.web import messages, services
from gateway.web.widgets import page_language
from gateway.web.words import code_word

# In the context of a trip: an application's "Returned" (for changes) and "Cancelled" read otherwise.
STATUSES = {
    "planned": pgettext("trip status", "Planned"), "departed": pgettext("trip status", "Departed"),
    "returned": pgettext("trip status", "Returned"), "reported": pgettext("trip status", "Reported"),
    "closed": pgettext("trip status", "Closed"), "cancelled": pgettext("trip status", "Cancelled"),
    "no_show": pgettext("trip status", "Did not go"),
}
# Where a kind lives a status differently: an expert comes to China, an event is held, a student hands in a transcript.
KIND_STATUSES = {
    "foreign_expert": {"planned": _l("Expected"), "departed": _l("Entered China"), "returned": _l("Left China"),
                       "no_show": _l("Did not come")},
    "hosted_event": {"planned": _l("To be held"), "returned": _l("Held"), "reported": _l("Summary accepted"),
                     "no_show": _l("Not held")},
    "student_exchange": {"reported": _l("Transcript received")},
    "faculty_exchange": {"reported": _l("Report accepted")},
}
CHECKLIST = {
    "insurance": _l("Insurance taken out for the whole stay"),
    "visa": _l("Visa obtained"),
    "safety_briefing": _l("Pre-departure safety briefing (平安留学) attended"),
    "passport_collected": _l("Passport collected from the office"),
}
STEPS = {"work_permit": _l("Work permit"), "residence_permit": _l("Residence permit"), "held": _l("Event held")}
FILE_TYPES = {
    "arrival_confirmation": _l("Host's arrival confirmation"), "transcript": _l("Transcript of records"),
    "photo": _l("Photo"), "attendee_list": _l("Attendee list"),
}
SECTIONS = {
    "schedule": _l("The schedule actually followed"), "results": _l("Results"), "contacts": _l("Contacts made"),
    "follow_up": _l("Follow-up"), "spending": _l("Spending summary"), "programme": _l("The programme as held"),
}
SECTION_HINTS = {
    "schedule": _l("Day by day: where you went and whom you met."),
    "results": _l("What the trip achieved: agreements, projects, talks given."),
    "contacts": _l("The people and institutions you met, with their positions."),
    "follow_up": _l("What happens next, who does it and by when."),
    "spending": _l("What was spent, by line, against the approved budget."),
    "programme": _l("The event's programme as it was held, with its speakers."),
}
REPORT_STATUSES = {
    "draft": _l("Draft"), "submitted": _l("Handed in: with the school"),
    "school_accepted": _l("Accepted by the school: with the ICD"), "accepted": _l("Accepted"),
    "returned": _l("Returned for changes"),
}
EXTENSION_STATUSES = {"pending": _l("Waiting for approval"), "approved": _l("Approved"), "refused": _l("Not approved")}
ROLES = {"leader": _l("Group leader"), "member": _l("Group member"), "student": _l("Student"),
         "expert": _l("Foreign expert"), "event": pgettext("traveller", "Event")}
OWED = {"report": _l("Trip report"), "summary": _l("Event summary"), "transcript": _l("Transcript of records"),
        "residence_permit": _l("Residence permit")}


def status(code: str, kind: str | None = None) -> str:
    """A record's status in words, as its kind lives it."""
    return str(KIND_STATUSES.get(kind or "", {}).get(code) or code_word(STATUSES, code))


def checklist_item(code: str) -> str:
    return code_word(CHECKLIST, code)


def step(code: str) -> str:
    return code_word(STEPS, code)


def file_type(code: str) -> str:
    return code_word(FILE_TYPES, code)


def section(code: str) -> str:
    return code_word(SECTIONS, code)


def section_order(sections: dict[str, str]) -> list[str]:
    """A report's written sections in the template's order (a JSON object keeps none), unknown ones last."""
    order = list(SECTIONS)
    return sorted((name for name, text in sections.items() if text),
                  key=lambda name: order.index(name) if name in order else len(order))


def section_hint(code: str) -> str:
    return code_word(SECTION_HINTS, code) if code in SECTION_HINTS else ""


def report_status(code: str) -> str:
    return code_word(REPORT_STATUSES, code)


def extension_status(code: str) -> str:
    return code_word(EXTENSION_STATUSES, code)


def role(code: str) -> str:
    return code_word(ROLES, code)


def owed(code: str) -> str:
    return code_word(OWED, code)


def _codes(value: str) -> str:
    """A comma-separated list of codes (checklist items, file types, steps) in words."""
    shown = []
    for code in (v.strip() for v in value.split(",")):
        table = next((t for t in (CHECKLIST, FILE_TYPES, STEPS) if code in t), {})
        shown.append(str(table.get(code, code)))
    return ("、" if page_language() == "zh" else ", ").join(shown)


DOING = {"change its checklist": _l("change its checklist"), "depart": _l("be confirmed as departed"),
         "arrive": _l("be confirmed as arrived"), "return": _l("be confirmed as returned"),
         "be held": _l("be recorded as held"), "record a permit": _l("record a permit"),
         "be a no-show": _l("be recorded as not going"), "change its dates": _l("change its dates")}
WORDS = {"status": lambda s: status(s), "report_status": report_status, "doing": lambda d: code_word(DOING, d),
         "items": _codes, "file_type": file_type, "proof": file_type}
PATTERNS = [(re.compile(pattern + r"\Z"), text) for pattern, text in [
    (r"This mobility is '(?P<status>\w+)': it cannot (?P<doing>[a-z -]+) now\.",
     _l("This trip is “%(status)s”: it cannot %(doing)s now.")),
    (r"This mobility is '(?P<status>\w+)': it takes no (?P<file_type>\w+) now\.",
     _l("This trip is “%(status)s”: it takes no “%(file_type)s” now.")),
    (r"The checklist before departure is not complete: (?P<items>[\w, ]+)\.",
     _l("The checklist before departure is not complete: %(items)s.")),
    (r"Upload the host's arrival confirmation \((?P<proof>\w+)\) first\.",
     _l("Upload the host's arrival confirmation first.")),
    (r"Not on this kind's checklist: (?P<items>[\w, ]+)\.", _l("Not on this trip's checklist: %(items)s.")),
    (r"Not a step of this kind: (?P<items>[\w, ]+)\.", _l("Not a step of this trip: %(items)s.")),
    (r"One of: (?P<items>[a-z_]+(, [a-z_]+)*)\.", _l("Choose one of: %(items)s.")),
    (r"This report is '(?P<report_status>\w+)': it cannot be edited now\.",
     _l("This report is “%(report_status)s”: it cannot be changed now.")),
    (r"This report is '(?P<report_status>\w+)': it was handed in already\.",
     _l("This report is “%(report_status)s”: it was handed in already.")),
    (r"The report must be at least (?P<least>\d+) characters long; it has (?P<has>\d+)\.",
     _l("The report must be at least %(least)s characters long; it has %(has)s.")),
    (r"Upload at least (?P<least>\d+) photos; there are (?P<has>\d+)\.",
     _l("Upload at least %(least)s photos; there are %(has)s.")),
    (r"A mobility holds at most (?P<most>\d+) files\.", _l("A trip holds at most %(most)s files.")),
]]
MESSAGES = [  # the service's fixed messages, listed so that the catalog translates them
    _l("Must not be in the future."), _l("Must not be before the departure."),
    _l("Must not be before the start of the stay."), _l("That is the end date already."),
    _l("An extension of this trip is already waiting for approval."), _l("Only a hosted event is held."),
    _l("Write this section."), _l("Upload the attendee list."), _l("The report is not complete."),
    _l("The report was handed in: its files are fixed."), _l("This kind takes no such file."),
    _l("Only the traveller's applicant or the office records this."), _l("No such mobility."),
    _l("This mobility owes no report (yet: it opens on return)."), _l("Invalid value."),
    _l("Attach the file as multipart field 'file'."),
]


def explain(message: str) -> str:
    """The mobilities service's English message in the reader's language (its codes in words); any other
    service message as web/messages.py says it."""
    found = messages.matched(message, PATTERNS, WORDS)
    return found if found is not None else services.translated(message)


NAMES = {"mobility_status": status, "checklist_item": checklist_item, "mobility_step": step,
         "mobility_file_type": file_type, "report_section": section, "report_section_hint": section_hint,
         "mobility_report_status": report_status, "extension_status": extension_status, "traveller_role": role,
         "owed_name": owed}
