"""The passport register's codes in words (services/passports): a passport's type and status, the audit log's
actions, a handover, an import's columns; and the service's own English refusals (why a hand-out is refused, an
import's line errors) in the reader's language.

The register's pages (web/passport_pages.py) read these; a code not listed here is shown as it came, never an error.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # named so that pybabel extracts it

from gateway.web import messages, mobility_words, services
from gateway.web.words import code_word

TYPES = {
    "official_passport": _l("Official passport"), "service_passport": _l("Service passport"),
    "hk_macao_permit": _l("Hong Kong and Macao travel permit"), "taiwan_permit": _l("Taiwan travel permit"),
}
STATUSES = {
    "in_custody": pgettext("passport status", "In the office"), "handed_out": pgettext("passport status", "Handed out"),
    "lost": pgettext("passport status", "Lost"), "expired": pgettext("passport status", "Expired"),
    "cancelled": pgettext("passport status", "Cancelled"),
}
ACTIONS = {
    "created": pgettext("passport audit", "Entered"), "updated": pgettext("passport audit", "Changed"),
    "viewed_number": pgettext("passport audit", "Whole number viewed"),
    "handed_out": pgettext("passport audit", "Handed out"), "returned": pgettext("passport audit", "Taken back"),
    "imported": pgettext("passport audit", "Imported from a CSV file"),
    "exported": pgettext("passport audit", "Audit log exported"),
    "key_rotated": pgettext("passport audit", "Re-encrypted with a new key"),
}
HANDOVERS = {"handed_out": pgettext("handover", "Handed out"), "returned": pgettext("handover", "Handed back")}
COLUMNS = {
    "holder_name": _l("Holder's name"), "staff_number": _l("Staff number"), "username": _l("Account"),
    "holder_username": _l("Account"), "school": _l("School"), "type": _l("Type"),
    "number": pgettext("passport", "Number"), "issued_on": _l("Date of issue"), "expires_on": _l("Expiry date"),
    "kept_at": _l("Where it is kept"),
    "note": _l("Note"), "file": _l("File"), "header": _l("Header"), "line": _l("Line"), "on": _l("Date"),
}
# The audit detail's keys worth a reader's eye (never a number: the service keeps none there).
DETAIL = {"fields": _l("Fields"), "count": _l("Count"), "on": _l("Date"), "due_on": _l("Due back"),
          "handed_to": _l("Handed to"), "received_from": _l("Received from"), "overdue_days": _l("Days overdue"),
          "type": _l("Type"), "status": _l("Status"), "action": _l("Action"), "filters": _l("Filters"),
          "passport_id": _l("Passport"), "key": _l("Key"), "rotated": _l("Re-encrypted"),
          "unreadable": _l("Unreadable (key missing)"), "under_current_key": _l("Under the current key")}


def type_name(code: str) -> str:
    return code_word(TYPES, code)


def status(code: str) -> str:
    return code_word(STATUSES, code)


def action(code: str) -> str:
    return code_word(ACTIONS, code)


def handover(code: str) -> str:
    return code_word(HANDOVERS, code)


def column(code: str) -> str:
    return code_word(COLUMNS, code)


def detail(values: dict[str, Any] | None) -> str:
    """An audit entry's detail as a short line in words: its fields by label, dates as days, codes in words."""
    from gateway.web import i18n

    shown = []
    for key, value in (values or {}).items():
        if key in ("loan_id", "mobility_id", "passport_id") or (key == "overdue_days" and not value):
            continue  # ids say nothing to a reader; "days overdue: 0" on every return is noise
        if key == "filters" and isinstance(value, dict):  # an export's filters: the action in words, not an id
            value = str(pgettext("between the parts of a list", "; ")).join(
                _("%(field)s: %(message)s", field=code_word(DETAIL, k),
                  message=action(str(v)) if k == "action" else "…")
                for k, v in value.items())
        elif key == "fields" and isinstance(value, list):
            value = str(pgettext("between the words of a list", ", ")).join(column(v) for v in value)
        elif key == "status" and isinstance(value, dict):
            value = f"{status(value.get('from', ''))} → {status(value.get('to', ''))}"
        elif key == "type":
            value = type_name(str(value))
        elif key == "action":
            value = action(str(value))
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            value = i18n.day(value)
        shown.append(_("%(field)s: %(message)s", field=code_word(DETAIL, key), message=value))
    return str(pgettext("between the parts of a list", "; ")).join(shown)  # Chinese has its own punctuation


def _day(value: str) -> str:
    from gateway.web import i18n

    return i18n.day(value)


def _type_lower(value: str) -> str:
    """A type named by its English words in lower case ("official passport"), in the reader's words."""
    english = {"official passport": "official_passport", "service passport": "service_passport",
               "hong kong and macao travel permit": "hk_macao_permit", "taiwan travel permit": "taiwan_permit"}
    return type_name(english.get(value, value))


HELD = {"is already handed out": "handed_out", "is recorded as lost": "lost", "has expired": "expired",
        "is cancelled": "cancelled"}
TRIP_ENDS = {"was cancelled": "cancelled", "did not take place": "no_show", "is already over": "returned",
             "is closed": "closed"}
WORDS = {"day": _day, "start": _day, "end": _day, "type": _type_lower,
         "held": lambda v: status(HELD.get(v, v)), "trip": lambda v: mobility_words.status(TRIP_ENDS.get(v, v))}
PATTERNS = [(re.compile(pattern + r"\Z"), text) for pattern, text in [
    (r"This passport (?P<held>is already handed out|is recorded as lost|has expired|is cancelled): only one in "
     r"the office's custody can be handed out\.",
     _l("This passport is “%(held)s”: only one in the office's custody can be handed out.")),
    (r"This passport is not in the office: only one in the office's custody can be handed out\.",
     _l("This passport is not in the office: only one in the office's custody can be handed out.")),
    (r"This trip is not one of (?P<name>.+)'s \(staff number (?P<staff>.+)\): a passport goes out only for its "
     r"holder's own approved trip\.",
     _l("This trip is not one of %(name)s's (staff number %(staff)s): a passport goes out only for its holder's "
        "own approved trip.")),
    (r"The trip \"(?P<title>.+)\" (?P<trip>was cancelled|did not take place|is already over|is closed): a passport "
     r"goes out only for a trip that is still to take place or under way\.",
     _l("The trip “%(title)s” is “%(trip)s”: a passport goes out only for a trip that is still to take place or "
        "under way.")),
    (r"The trip \"(?P<title>.+)\" is not live: a passport goes out only for a trip that is still to take place "
     r"or under way\.",
     _l("The trip “%(title)s” is not under way: a passport goes out only for a trip that is still to take place "
        "or under way.")),
    (r"The trip \"(?P<title>.+)\" has no dates yet: its departure decides when the passport may go out\.",
     _l("The trip “%(title)s” has no dates yet: its departure decides when the passport may go out.")),
    (r"Too early: this passport may be handed out from (?P<day>\d{4}-\d\d-\d\d), (?P<n>\d+) days before the "
     r"departure on (?P<start>\d{4}-\d\d-\d\d)\.",
     _l("Too early: this passport may be handed out from %(day)s, %(n)s days before the departure on %(start)s.")),
    (r"This passport expires on (?P<day>\d{4}-\d\d-\d\d), before the trip ends on (?P<end>\d{4}-\d\d-\d\d): it "
     r"cannot be used for this trip\.",
     _l("This passport expires on %(day)s, before the trip ends on %(end)s: it cannot be used for this trip.")),
    (r"It was handed out on (?P<day>\d{4}-\d\d-\d\d): it cannot have come back before\.",
     _l("It was handed out on %(day)s: it cannot have come back before.")),
    (r"An? (?P<type>[a-z ]+) with this number is already in the register\.",
     _l("There is already a “%(type)s” with this number in the register.")),
    (r"Must be one of: official_passport, .*\.", _l("Choose one of the four types.")),
    (r"The passport changed since you saw it \(you saw version \d+, it is now version \d+\); reload it and try "
     r"again\.", _l("Someone changed this passport meanwhile; nothing was saved. Check your changes against it as it "
                    "is now and save again.")),
    (r"The same type and number as line (?P<n>\d+)\.", _l("The same type and number as line %(n)s.")),
    (r"At most (?P<n>\d+) passports in one file: split the list\.",
     _l("At most %(n)s passports in one file: split the list.")),
    (r"(?P<n>\d+) values expected, (?P<m>\d+) found\.", _l("%(n)s values expected, %(m)s found.")),
    (r"(?P<n>\d+) line\(s\) of the file have errors; nothing was imported\.",
     _l("%(n)s line(s) of the file have errors; nothing was imported.")),
    (r"Line 1 must be the header (?P<columns>[a-z_,]+) \(each column once(?P<rest>.*)\)\.",
     _l("Line 1 must be the header %(columns)s (each column once%(rest)s).")),
]]
MESSAGES = [  # the service's fixed messages, listed so that the catalog translates them
    _l('Name the version you saw: an If-Match header or a "version" field.'), _l("No file."),
    _l("No such loan of this passport."),
    _l("Only the passport clerk, an administrator and the holder read hand-out slips."),
    _l("Only the passport clerk, the ICD and admins read the custody rules."),
    _l("No approved trip with this id is known here: a passport goes out only for an approved trip."),
    _l("This passport is not out on loan: there is nothing to take back."),
    _l("A return cannot be recorded for a day still to come."), _l("The day cannot be one still to come."),
    _l("not later than today"), _l("The number is not valid."),
    _l("5 to 20 letters and digits (spaces and hyphens are ignored)."), _l("Must be after the date of issue."),
    _l("This type's number is already in the register."), _l("The dates are not valid."),
    _l("The file is not a text file: save the list as CSV (UTF-8)."),
    _l("The file is not UTF-8 text: save the list as \"CSV UTF-8\"."),
    _l("The file cannot be read as a CSV table: save it as CSV (UTF-8)."), _l("The file lists no passport."),
    _l("Choose the CSV file to import."), _l("No such passport."), _l("No such trip."),
    _l("Only the passport clerk does this."),
    _l("Only the passport clerk hands passports out and takes them back."),
    _l("Only the passport clerk and admins change the custody rules."),
    _l("Only the passport clerk and admins read the audit log."),
    _l("This passport is out on loan: record its return first (or declare it lost)."),
    _l("This number's key is no longer in the keyring: it cannot be read."),
    _l("This number cannot be opened with its key: it cannot be read."),
    _l("Must be a school's code."), _l("Length must be between 1 and 200."), _l("Length must be between 1 and 40."),
    _l("Length must be between 5 and 40."),
    _l("Must be greater than or equal to 0 and less than or equal to 90."),
    _l("Must be greater than or equal to 0 and less than or equal to 60."),
    _l("Must be greater than or equal to 1 and less than or equal to 365."),
]


def explain(message: str) -> str:
    """The passports service's English message in the reader's language (its codes and days in words); any other
    service message as web/messages.py says it."""
    found = messages.matched(message, PATTERNS, WORDS)
    return found if found is not None else services.translated(message)


NAMES = {"passport_type": type_name, "passport_status": status, "passport_action": action,
         "passport_handover": handover, "passport_column": column, "passport_detail": detail,
         "passport_says": explain}
