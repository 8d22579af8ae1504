"""The services' own messages that pages show (field errors, refusals), listed so that they are translated.

The services answer in English (their API's language); the pages look each message up in the catalog, so a
message listed here reaches a Chinese reader in Chinese. A message that carries data ("An application in status
'draft' cannot be withdrawn.") is matched by its pattern in PATTERNS and written with its values in words. A
message not listed is shown as it came.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

SERVICE_MESSAGES = [
    # marshmallow's own
    _l("Missing data for required field."), _l("Not a valid string."), _l("Not a valid number."),
    _l("Not a valid integer."), _l("Not a valid date."), _l("Not a valid decimal."), _l("Not a valid list."),
    _l("Unknown field."), _l("Field may not be null."), _l("Must be one of: IELTS, TOEFL, CET-4, CET-6, TestDaF, "
                                                              "DELF, JLPT, TOPIK, other."),
    _l("Must be greater than or equal to 0 and less than or equal to 4."),
    _l("Must be greater than or equal to 0."),
    # the applications service
    _l("Must not be blank."), _l("Must not be blank or contain line breaks or control characters."),
    _l("Must not be negative."), _l("Choose between 1 and 3 partners."), _l("Each partner can be chosen only once."),
    _l("Use YEAR-spring or YEAR-fall, e.g. 2031-fall."), _l("Use a two-letter ISO 3166 country code, e.g. DE."),
    _l("Must be in the future."), _l("Must not be before the start date."),
    _l("Choose a term that has not started yet."), _l("Not a valid id."), _l("Missing file."),
    # (a missing document, "Upload a document of type '…'.", is named by its kind's label: web/kinds.py)
    _l("Only PDF, PNG and JPEG files are accepted (judged by their content)."),
    _l("The form has invalid fields; see errors."), _l("A program is required for this kind."),
    _l("The application changed while you were changing it; reload it and try again."),
    _l("The request has invalid fields; see errors."),
    # the reviews service
    _l("Only a task you claimed can be released."), _l("Say why: a comment is required to reject or return."),
    _l("This task has been decided already."), _l("Nobody reviews their own application."),
    _l("You approved another level of this application already; someone else must approve this one."),
    _l("Only a supervisor (ICD officer, admin) reassigns tasks."), _l("Only reviewers work with review tasks."),
    _l("No such review task."), _l("No reviews for this application."),
    # the applications service's refusals
    _l("Only the applicant can change an application."), _l("No such application."), _l("No such document."),
    _l("Unknown document type for this kind."), _l("Your account has no school."),
    _l("This kind is not filed under a program."), _l("No such program for this kind."),
    _l("The document's file is missing; the office has been told."),
    # a staff trip's group and itinerary (applications: kinds/faculty_exchange.py, trip_rules.py)
    _l("Each member confirms the declaration."), _l("Give the itinerary's stops instead."),
    _l("Must not be before the arrival."), _l("Must not be before leaving China."),
    _l("Must not be after coming back to China."), _l("Must not be before leaving the previous stop."),
    # outcomes in the decision log
    _l("approve"), _l("reject"), _l("return"),
    # API client scopes (admin page)
    _l("read the event feed"), _l("manage its own webhook subscriptions"),
]


# -- messages that carry data: a pattern of the service's English, and its text with placeholders ---------------
# A value that is a code (a status, a kind, an outcome, a UTC time) is put into words before it is placed.

STATUSES = {
    "draft": _l("draft"), "submitted": _l("submitted"), "in_review": _l("in review"),
    "changes_requested": _l("changes requested"), "approved": _l("approved"), "rejected": _l("rejected"),
    "withdrawn": _l("withdrawn"), "open": _l("open"), "claimed": _l("claimed"), "done": _l("done"),
    "cancelled": _l("cancelled"), "waiting": _l("waiting for the publicity period to end"),
}
DECISIONS = {"approve": _l("Approve"), "return": _l("Return for changes"), "reject": _l("Reject")}


def status_name(code: str) -> str:
    """A status of an application or a task in the reader's words (the code itself for one not listed)."""
    return str(STATUSES.get(code, code))


def decision_name(code: str) -> str:
    """A reviewer's outcome (approve, return, reject) in the reader's words."""
    return str(DECISIONS.get(code, code))


def _utc_time(value: str) -> str:
    from gateway.web import i18n  # the pages' time format, in the office's zone

    return i18n.when(value.replace(" ", "T") + "+00:00")


def _kind(value: str) -> str:
    from gateway.web import kinds  # kinds imports the services module that imports this one

    return kinds.kind_name(value)


def _decisions(value: str) -> str:
    return "、".join(decision_name(v.strip()) for v in value.split(","))


def _choice_words(value: str) -> str:
    """A choice a rule names by its English label in lower case ("general", "hong kong and macao": a staff trip's
    category), by the kind's own label for it in the reader's language."""
    from gateway.web import kinds
    from gateway.web.widgets import page_language, words

    for kind in kinds.catalog().values():
        for spec in kind.fields:
            for choice in spec.get("choices") or []:
                if str(choice["labels"].get("en", "")).lower() == value:
                    return words(choice["labels"], page_language())
    return value


def _day(value: str) -> str:
    from gateway.web import i18n

    return i18n.day(value)


UNITS = {"days": _l("days"), "working days": _l("working days")}
BUDGET_LINES = {"Lodging": _l("Lodging"), "Meals and incidentals": _l("Meals and incidentals")}
RATE = re.compile(r"(?P<country>[A-Z]{2}) (?P<amount>[\d.]+) (?P<currency>[A-Z]{3}) (?P<per>a night|a day)\Z")


def _rates(value: str) -> str:
    """"DE 150 EUR a night, FR 160 EUR a night" with the countries and the periods in words."""
    from gateway.web.widgets import country_name

    shown = []
    for part in value.split(", "):
        rate = RATE.match(part)
        if rate is None:
            shown.append(part)
            continue
        per = _l("%(amount)s %(currency)s a night") if rate["per"] == "a night" else _l("%(amount)s %(currency)s a day")
        amount = str(per) % {"amount": rate["amount"], "currency": rate["currency"]}
        shown.append(f"{country_name(rate['country'])} {amount}")
    return ", ".join(shown)


WORDS: dict[str, Callable[[str], str]] = {"status": status_name, "to": status_name, "at": _utc_time,
                                          "kind": _kind, "outcomes": _decisions, "category": _choice_words,
                                          "unit": lambda u: str(UNITS.get(u, u)), "earliest": _day,
                                          "line": lambda n: str(BUDGET_LINES.get(n, n)), "rates": _rates}
TRIP = r"a (?P<category>[a-z ]+?) trip"  # a staff trip's category, as trip_rules names it
PATTERNS: list[tuple[re.Pattern[str], Any]] = [(re.compile(pattern + r"\Z"), text) for pattern, text in [
    (r"An application in status '(?P<status>\w+)' cannot be submitted\.",
     _l("An application with the status “%(status)s” cannot be submitted.")),
    (r"An application in status '(?P<status>\w+)' cannot be withdrawn\.",
     _l("An application with the status “%(status)s” cannot be withdrawn.")),
    (r"An application in status '(?P<status>\w+)' cannot be edited\.",
     _l("An application with the status “%(status)s” cannot be changed.")),
    (r"An application in status '(?P<status>\w+)' cannot get new documents\.",
     _l("An application with the status “%(status)s” cannot get new documents.")),
    (r"An application in status '(?P<status>\w+)' cannot lose documents\.",
     _l("Documents cannot be removed from an application with the status “%(status)s”.")),
    (r"An application in status '(?P<status>\w+)' cannot be moved to '(?P<to>\w+)'\.",
     _l("An application with the status “%(status)s” cannot become “%(to)s”.")),
    (r"Applications for '(?P<program>.+)' open on (?P<at>[\d-]+ [\d:]+) UTC\.",
     _l("Applications for “%(program)s” open on %(at)s.")),
    (r"Applications for '(?P<program>.+)' closed on (?P<at>[\d-]+ [\d:]+) UTC\.",
     _l("Applications for “%(program)s” closed on %(at)s.")),
    (r"The task is claimed by (?P<who>[^;\s]+); only the claimer decides\.",
     _l("%(who)s has claimed this task; only they can decide it.")),
    (r"The task is (?P<status>\w+) by (?P<who>\S+)\.", _l("The task is %(status)s by %(who)s.")),
    (r"The task is (?P<status>\w+)\.", _l("The task is %(status)s.")),
    (r"The decision names version \d+, but version \d+ is under review; reload the application\.",
     _l("The application changed after you opened it; reload it and decide again.")),
    (r"One of: (?P<outcomes>(approve|return|reject)(, (approve|return|reject))*)\.",
     _l("Choose one of: %(outcomes)s.")),
    (r"The file is larger than the (?P<size>[\d.]+) MiB allowed\.",
     _l("The file is larger than the %(size)s MiB allowed.")),
    (r"An application holds at most (?P<count>\d+) documents\.",
     _l("An application holds at most %(count)s documents.")),
    (r"Your roles cannot file a (?P<kind>\w+) application\.",
     _l("Your roles cannot file this kind of application: %(kind)s.")),
    (r"A partner named '(?P<name>.+)' exists already\.", _l("A partner named “%(name)s” exists already.")),
    (r"A program with code '(?P<code>.+)' exists already\.", _l("A program with code “%(code)s” exists already.")),
    # a staff trip beyond its category's limits (applications: trip_rules.py)
    (r"Exactly one member leads the group; (?P<count>\d+) are marked as leader\.",
     _l("Exactly one member leads the group; %(count)s are marked as leader.")),
    (rf"At most (?P<most>\d+) members on {TRIP} \(rule: members per group\); this group has (?P<count>\d+)\.",
     _l("At most %(most)s members on a trip of the category “%(category)s” (rule: members per group); this group "
        "has %(count)s.")),
    (rf"At most (?P<most>\d+) countries or regions on {TRIP} \(rule: countries per trip\); this itinerary has "
     r"(?P<count>\d+)\.",
     _l("At most %(most)s countries or regions on a trip of the category “%(category)s” (rule: countries per trip); "
        "this itinerary has %(count)s.")),
    (rf"At most (?P<most>\d+) days on {TRIP} to (?P<countries>\d+) countr(?:y|ies), from leaving to re-entering "
     r"China \(rule: days abroad\); this trip has (?P<days>\d+)\.",
     _l("At most %(most)s days on a trip of the category “%(category)s” to %(countries)s countries or regions, from "
        "leaving to re-entering China (rule: days abroad); this trip has %(days)s.")),
    (rf"File {TRIP} at least (?P<lead>\d+) (?P<unit>days|working days) before leaving \(rule: lead time\); filed "
     r"today, the earliest departure is (?P<earliest>[\d-]+)\.",
     _l("File a trip of the category “%(category)s” at least %(lead)s %(unit)s before leaving (rule: lead time); "
        "filed today, the earliest departure is %(earliest)s.")),
    (r"(?P<line>Lodging|Meals and incidentals) is over the allowance: at most (?P<most>[\d,.]+) yuan per person "
     r"for this itinerary \(rule: allowances: (?P<rates>.+)\); asked (?P<asked>[\d,.]+)\.",
     _l("%(line)s is over the allowance: at most %(most)s yuan per person for this itinerary (rule: allowances: "
        "%(rates)s); asked %(asked)s.")),
    # the office's rules as data (applications: trip_rules_api.py, allowances_csv.py)
    (r'Days are given for 1 to (?P<most>\d+) countries, not for "(?P<key>.*)"\.',
     _l("Days can be given for 1 to %(most)s countries or regions, not for “%(key)s”.")),
    (r"Expected (?P<expected>\d+) values separated by commas, found (?P<found>\d+)\.",
     _l("Expected %(expected)s values separated by commas, found %(found)s.")),
    (r"(?P<country>[A-Z]{2}) is already on line (?P<number>\d+)\.", _l("%(country)s is already on line %(number)s.")),
    (r"Line 1 must be the header (?P<header>[a-z_,]+) \(each column once.*\)\.",
     _l("Line 1 must be the header %(header)s, each column once.")),
    (r"At most (?P<most>\d+) countries in one file\.", _l("At most %(most)s countries or regions in one file.")),
    # a year the official working-day calendar does not know (chassis/workdays.py: a publicity period, 赴台 lead time)
    (r"No official calendar for (?P<year>\d{4}): ask an administrator to enter that year's holidays and "
     r"make-up working days \(admin → Calendar\)\.",
     _l("No official calendar for %(year)s: ask an administrator to enter that year's holidays and make-up working "
        "days (admin → Calendar).")),
]]


def translated(message: str) -> str:
    """A service's English message in the reader's language: the catalog's text for a fixed message, a pattern's
    text with its values (codes in words) for one that carries data, else the message as it came.
    Plain text, never marked safe: a value may quote stored data. The values are arguments of %, never its
    format, so a stored '%' is harmless."""
    if not message:
        return ""
    found = matched(message, PATTERNS, WORDS)
    return found if found is not None else str(gettext(message))


def matched(message: str, patterns: Any, words: dict[str, Callable[[str], Any]]) -> str | None:
    """The text of the first of `patterns` ((compiled pattern, text) pairs) that `message` matches, its named
    values put in words by `words` (name → function; as they came otherwise); None when none matches. A service's
    word module (mobility_words, passport_words) calls it with its own patterns."""
    for pattern, text in patterns:
        found = pattern.match(message or "")
        if found:
            values = {name: words.get(name, str)(value) for name, value in found.groupdict().items()
                      if value is not None}
            return str(text) % values
    return None
