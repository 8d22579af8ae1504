"""The selection's codes in words (services/placements rounds, offers, nominations): a round's, an offer's and a
nomination's status, why an allocation ran, the parts of a score and the inputs still missing, a partner's answer;
and the placements service's English refusals about rounds, scores, offers and nominations in the reader's words.

The selection pages (web/selection_pages.py) read these; a code not listed here is shown as it came, never an error.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # named so that pybabel extracts it

from gateway.web import agreement_words, messages
from gateway.web.words import code_word

ROUND_STATUSES = {"open": pgettext("round status", "Open for scoring"),
                  "allocated": pgettext("round status", "Places allocated"),
                  "publicised": pgettext("round status", "List made public"),
                  "final": pgettext("round status", "Final"), "closed": pgettext("round status", "Closed")}
OFFER_STATUSES = {"offered": pgettext("offer status", "Waiting for the student's answer"),
                  "accepted": pgettext("offer status", "Accepted"), "declined": pgettext("offer status", "Declined"),
                  "lapsed": pgettext("offer status", "Not answered in time"),
                  "withdrawn": pgettext("offer status", "Withdrawn"),
                  "superseded": pgettext("offer status", "Replaced by a later allocation")}
NOMINATION_STATUSES = {"nominated": pgettext("nomination status", "Nominated, waiting for the partner"),
                       "approved": pgettext("nomination status", "Accepted by the partner"),
                       "rejected": pgettext("nomination status", "Refused by the partner"),
                       "cancelled": pgettext("nomination status", "Cancelled")}
REASONS = {"manual": _l("Run by the office"), "decline": _l("A student declined a place"),
           "lapse": _l("A student did not answer in time"), "withdrawal": _l("A student withdrew"),
           "rejection": _l("A partner refused a student"), "score_change": _l("Scores were corrected")}
PARTS = {"gpa": _l("Grade point average"), "language": _l("Language test"), "interview": _l("Interview"),
         "bonus": _l("Bonus")}
CRITERIA = {"interview": _l("Interview"), "bonus": _l("Bonus")}
VIA = {"office": _l("told to the office"), "link": _l("answered on the partner's link")}
DECISIONS = {"approve": _l("The partner accepts the student"), "reject": _l("The partner refuses the student")}


def round_status(code: str) -> str:
    return code_word(ROUND_STATUSES, code)


def offer_status(code: str) -> str:
    return code_word(OFFER_STATUSES, code)


def nomination_status(code: str) -> str:
    return code_word(NOMINATION_STATUSES, code)


def reason(code: str) -> str:
    return code_word(REASONS, code)


def part(code: str) -> str:
    return code_word(PARTS, code)


def via(code: str | None) -> str:
    return code_word(VIA, code) if code else ""


def missing(codes: list[str] | None) -> str:
    """The inputs not entered yet, as words: "Interview not scored yet"."""
    return ", ".join(str(_l("%(part)s not scored yet", part=part(code))) for code in codes or ())


MESSAGES = [  # the placements service's fixed messages about the selection, so that the catalog has them
    _l("No such selection round."), _l("No such offer."), _l("No such nomination."),
    _l("Only the ICD and admins open selection rounds and run the allocation."),
    _l("Only staff read selection rounds."),
    _l("The program's application window has not closed yet: a round opens after it closes."),
    _l("The program already has a selection round that is not closed."),
    _l("This offer is another student's: only they answer it."),
    _l("This offer changed since you read it: reload it and answer again."),
    _l("Only a student who accepted their offer in this round can be nominated."),
    _l("This student no longer competes for a place (the application was withdrawn)."),
    _l("This nomination changed since you read it: reload it and try again."),
    _l("Only the ICD and admins nominate students and record partners' answers."),
    _l("The round is closed: nobody is nominated from it any more."),
]
WORDS = {"status": round_status, "offer": offer_status, "nomination": nomination_status}
PATTERNS = [(re.compile(pattern + r"\Z"), text) for pattern, text in [
    (r"The round is (?P<status>\w+): its scores can no longer change\.",
     _l("The round is “%(status)s”: its scores can no longer change.")),
    (r"The round is (?P<status>\w+): the allocation can no longer run\.",
     _l("The round is “%(status)s”: the allocation can no longer run.")),
    (r"This offer can no longer be answered: it is (?P<offer>\w+)\.",
     _l("This offer can no longer be answered: it is “%(offer)s”.")),
    (r"The deadline to answer this offer passed at .*\.",
     _l("The deadline to answer this offer has passed; the place went back to the allocation.")),
    (r"This student is already nominated \(to (?P<partner>.+), (?P<nomination>\w+)\)\.",
     _l("This student is already nominated to %(partner)s (“%(nomination)s”).")),
    (r"No contact with an e-mail address is on record for (?P<partner>.+): add one .*",
     _l("No contact with an e-mail address is on record for %(partner)s: add one to its signed agreement first; "
        "the partner's link is sent there.")),
    (r"This nomination is (?P<nomination>\w+): it takes no answer now\.",
     _l("This nomination is “%(nomination)s”: it takes no answer now.")),
    (r"This nomination is (?P<nomination>\w+): it can no longer be cancelled\.",
     _l("This nomination is “%(nomination)s”: it can no longer be cancelled.")),
    (r"You score only the candidates of your school.*",
     _l("You score only the candidates of your school; nothing was saved.")),
]]


def explain(message: str) -> str:
    """The placements service's English message in the reader's language (the agreements' words otherwise)."""
    found = messages.matched(message, PATTERNS, WORDS)
    return found if found is not None else agreement_words.explain(message)


NAMES = {"round_status": round_status, "offer_status": offer_status, "nomination_status": nomination_status,
         "run_reason": reason, "score_part": part, "answered_via": via, "missing_inputs": missing,
         "selection_says": explain}
