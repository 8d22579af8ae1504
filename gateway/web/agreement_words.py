"""The agreements register's codes in words (services/placements): an agreement's type and status, a term's
direction, mobility type and degree levels, a subject's ISCED-F broad field, a language with its CEFR level, a
country, where a program's places came from; and the placements service's English refusals in the reader's words.

The agreement and places pages (web/agreement_pages.py) read these; a code not listed here is shown as it came,
never an error.
"""

from __future__ import annotations

import re
from typing import Any

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # named so that pybabel extracts it

from gateway.web import messages, services
from gateway.web.words import code_word

TYPES = {"mou": _l("Memorandum of understanding"), "student_exchange": _l("Student exchange agreement"),
         "joint_programme": _l("Joint programme")}
STATUSES = {"draft": pgettext("agreement status", "Draft"), "signed": pgettext("agreement status", "Signed"),
            "expired": pgettext("agreement status", "Expired"),
            "terminated": pgettext("agreement status", "Terminated")}
DIRECTIONS = {"outgoing": _l("Our students or staff go to the partner"),
              "incoming": _l("The partner's students or staff come to us")}
MOBILITY_TYPES = {"student_studies": _l("Student study stay"), "staff_teaching": _l("Staff teaching visit"),
                  "staff_training": _l("Staff training visit")}
DEGREE_LEVELS = {"bachelor": _l("Bachelor's"), "master": _l("Master's"), "doctoral": _l("Doctoral")}
CEFR = ("A1", "A2", "B1", "B2", "C1", "C2")
SOURCES = {"agreement": pgettext("places source", "From the agreements"),
           "office": pgettext("places source", "Set by the office")}
# ISCED-F 2013's broad fields (a code's first two digits): a 4-digit code's subject named cheaply, without its
# eighty detailed names.
BROAD_FIELDS = {
    "00": _l("Generic programmes"), "01": _l("Education"), "02": _l("Arts and humanities"),
    "03": _l("Social sciences, journalism and information"), "04": _l("Business, administration and law"),
    "05": _l("Natural sciences, mathematics and statistics"),
    "06": _l("Information and communication technologies"),
    "07": _l("Engineering, manufacturing and construction"),
    "08": _l("Agriculture, forestry, fisheries and veterinary"), "09": _l("Health and welfare"),
    "10": _l("Services"),
}


def type_name(code: str) -> str:
    return code_word(TYPES, code)


def status(code: str) -> str:
    return code_word(STATUSES, code)


def direction(code: str) -> str:
    return code_word(DIRECTIONS, code)


def mobility_type(code: str) -> str:
    return code_word(MOBILITY_TYPES, code)


def degree_level(code: str) -> str:
    return code_word(DEGREE_LEVELS, code)


def source(code: str | None) -> str:
    return code_word(SOURCES, code) if code else ""


def subject(code: str) -> str:
    """An ISCED-F code with its broad field's name: "0613 (Information and communication technologies)"."""
    field = BROAD_FIELDS.get(str(code)[:2])
    return f"{code} ({field})" if field else str(code)


def _locale() -> Locale:
    return Locale.parse(str(get_locale() or "zh"))


def country(code: str | None) -> str:
    """An ISO 3166 code as the country's name in the reader's language (the code itself when unknown)."""
    if not code:
        return ""
    return str(_locale().territories.get(code.upper(), code))


def language(item: dict[str, Any] | str) -> str:
    """A language requirement ({language: ISO 639-1, cefr}) as "German, B2"; a bare code as the language."""
    code = item.get("language", "") if isinstance(item, dict) else item
    name = str(_locale().languages.get(str(code).lower(), code))
    level = item.get("cefr") if isinstance(item, dict) else None
    return f"{name} {level}" if level else name


MESSAGES = [  # the placements service's fixed messages about agreements and places, so that the catalog has them
    _l("Only staff read the agreements."), _l("Only the ICD and admins change the agreements."),
    _l("Only staff read the places at partners."), _l("Only the ICD and admins set the places at partners."),
    _l("No such agreement."), _l("A new agreement is a draft or signed."), _l("Must not be before valid_from."),
    _l("A signed agreement names it."), _l("Names a year twice."), _l("Names a language twice."),
    _l("No such program here (the placements service has not heard of it)."),
    _l("This partner is not one of the program's partners."),
]
WORDS = {"current": status, "status": status}
PATTERNS = [(re.compile(pattern + r"\Z"), text) for pattern, text in [
    (r"An? (?P<current>draft|signed|expired|terminated) agreement cannot become (?P<status>\w+) \(allowed: .*\)\.",
     _l("An agreement that is “%(current)s” cannot become “%(status)s”.")),
    (r"The agreement changed since you saw it.*",
     _l("Someone changed this agreement meanwhile; nothing was saved. Check your changes against it as it is now "
        "and save again.")),
]]


def explain(message: str) -> str:
    """The placements service's English message in the reader's language; any other as web/messages.py says it."""
    found = messages.matched(message, PATTERNS, WORDS)
    return found if found is not None else services.translated(message)


NAMES = {"agreement_type": type_name, "agreement_status": status, "agreement_direction": direction,
         "agreement_mobility": mobility_type, "agreement_degree": degree_level, "agreement_subject": subject,
         "agreement_language": language, "country_name": country, "places_source": source,
         "agreement_says": explain}
