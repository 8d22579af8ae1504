"""A submission refused because its applicant, a member of the group or the school is on hold (the applications
service's 409 `on-hold` problem, from mobilities' holds): each hold in the reader's words, what is overdue and what
clears it, built from the problem's `holds` list so that a Chinese reader reads Chinese."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.web import i18n
from gateway.web.services import Reply

ON_HOLD = "/problems/on-hold"
OVERDUE = {"report_overdue": _l("the trip report is overdue"), "summary_overdue": _l("the event summary is overdue"),
           "residence_permit_overdue": _l("the residence permit is overdue"),
           "passport_overdue": _l("the passport has not been handed back")}
CLEARS = {"report_accepted": _l("the report is accepted"), "summary_accepted": _l("the summary is accepted"),
          "residence_permit_recorded": _l("the residence permit is recorded"),
          "passport_returned": _l("the passport is handed back")}


def refusal(reply: Reply) -> list[str] | None:
    """One sentence per hold when `reply` is the on-hold refusal; None for any other reply."""
    data = reply.data if isinstance(reply.data, dict) else {}
    if reply.status != 409 or not str(data.get("type", "")).endswith(ON_HOLD):
        return None
    sentences = [_sentence(hold) for hold in data.get("holds") or () if isinstance(hold, dict)]
    return sentences or [reply.message]


def _sentence(hold: dict[str, Any]) -> str:
    whom = hold.get("holds")
    if whom == "school":
        who = _("Your school is on hold")
    elif whom == "member":
        who = _("The group member with staff number %(number)s is on hold", number=hold.get("staff_number") or "")
    else:
        who = _("You are on hold")
    reason, clears = str(hold.get("reason") or ""), str(hold.get("clears") or "")
    words = {"who": who, "what": str(OVERDUE.get(reason, reason.replace("_", " "))), "title": hold.get("title") or "",
             "clears": str(CLEARS.get(clears, clears.replace("_", " ")))}
    if hold.get("due_on"):
        return _("%(who)s: for “%(title)s”, %(what)s (due on %(due)s); it can be submitted once %(clears)s.",
                 due=i18n.day(hold["due_on"]), **words)
    return _("%(who)s: for “%(title)s”, %(what)s; it can be submitted once %(clears)s.", **words)
