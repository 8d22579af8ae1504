"""Nominations of students to partners (EWP OMobility-like: nominated, then approved or rejected by the partner,
or cancelled by the office): the rules and the service logic, in the caller's transaction, the clock an argument.

- The ICD nominates a student whose offer of the round is accepted, to that offer's partner; one live nomination
  (nominated or approved) per student. The nomination carries a signed single-use link (partner_links.py) for the
  partner's contact, the first contact with an e-mail address on the partner's signed agreements; the row keeps
  that address, and the link's answer names it even if the agreement's contacts change afterwards.
- The answer comes from the office (`via` office, naming the version seen) or from the link (`via` link, once).
- A rejection gives the place back: the student's accepted offer is withdrawn (they leave the automatic
  allocation and return to the ICD's choices, unplaced), the (student, partner) pair is excluded, and the round's
  allocation re-runs with reason "rejection" (offer_changes.place_freed), also after the 差额公示, so the head of the
  waiting list gets it.
- Locks: the round's row first, always; it serialises every writer of a round's offers. Then `nominate` takes
  the offer and the candidate; an answer takes the nomination (its compare-and-set) and, on a rejection, the
  offers (place_freed). Both orders are safe because both run under the round lock.

Events: nomination.nominated / approved / rejected / cancelled are public: never the link, never the contact's
address (answered_by says "partner"; the row keeps "partner:<email>"), the letter only as `has_letter`.
nomination.link_issued (private) carries what notifications needs to mint the link and e-mail the partner's contact
(the nomination's id and nonce, the contact, the names) but never the link itself: a subscriber of the bus holds
nothing that answers a nomination without the keyring (chassis/signed_links.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.placements import offer_changes, offers, partner_links, rounds
from services.placements.errors import PlacementError
from services.placements.events import announce
from services.placements.models import Agreement, Candidate, Nomination, Offer, Program

LIVE = ("nominated", "approved")


@dataclass(frozen=True)
class Letter:
    file_id: str
    filename: str
    content_type: str
    size: int
    sha256: str


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def get(session: Session, nomination_id: str, lock: bool = False) -> Nomination:
    nomination = session.get(Nomination, nomination_id, with_for_update=lock)
    if nomination is None:
        raise PlacementError("No such nomination.", status=404)
    return nomination


def contact(session: Session, partner_id: str) -> dict[str, Any] | None:
    """The partner's contact for nominations: on its signed agreements (the latest ending first), the first
    contact with an e-mail address whose role names nominations, else the first with an address at all."""
    agreements = session.scalars(select(Agreement).where(Agreement.partner_id == partner_id,
                                                         Agreement.status == "signed")
                                 .order_by(Agreement.valid_to.desc().nulls_first(), Agreement.id))
    people = [c for a in agreements for c in (a.contacts or []) if isinstance(c, dict) and c.get("email")]
    named = [c for c in people if "nominat" in str(c.get("role") or "").lower()]
    return (named or people or [None])[0]


def data(session: Session, nomination: Nomination) -> dict[str, Any]:
    """The nomination as the office and the public events show it (never the link)."""
    candidate = session.get(Candidate, nomination.application_id)
    program = session.get(Program, candidate.program_id) if candidate else None
    return {"id": nomination.id, "nomination_id": nomination.id, "round_id": nomination.round_id,
            "application_id": nomination.application_id,
            "program_id": program.program_id if program else (candidate.program_id if candidate else None),
            "program_name": program.name if program else "",
            "applicant": candidate.applicant if candidate else "",
            "applicant_name": candidate.applicant_name if candidate else "",
            "applicant_email": candidate.applicant_email if candidate else None,
            "locale": candidate.locale if candidate else None, "school": candidate.school if candidate else None,
            "term": candidate.term if candidate else None,
            "partner_id": nomination.partner_id, "partner_name": nomination.partner_name,
            # mobilities shows it as the record's host country, the statistics count by it
            "partner_country": offers.partner_country(program, candidate, nomination.partner_id),
            "status": nomination.status, "nominated_by": nomination.nominated_by,
            "nominated_at": _iso(nomination.nominated_at), "answered_at": _iso(nomination.answered_at),
            "answered_by": nomination.answered_by, "answered_via": nomination.answered_via,
            "comment": nomination.comment, "letter": nomination.letter,
            "link_expires_at": _iso(nomination.link_expires_at), "link_used_at": _iso(nomination.link_used_at),
            "version": nomination.version}


def partner_summary(session: Session, nomination: Nomination) -> dict[str, Any]:
    """What the partner's link shows: this one student, the program, the partner, the term; nothing else (no
    grades, no other student, no e-mail address)."""
    candidate = session.get(Candidate, nomination.application_id)
    program = session.get(Program, candidate.program_id) if candidate else None
    return {"student_name": candidate.applicant_name if candidate else "",
            "program_name": program.name if program else "", "partner_name": nomination.partner_name,
            "term": candidate.term if candidate else None, "status": nomination.status,
            "link_expires_at": _iso(nomination.link_expires_at)}


def _public(session: Session, nomination: Nomination) -> dict[str, Any]:
    """What the feed and webhooks may see: no address of the student or the partner's contact, no link, and of the
    letter only that there is one (its file is served to those allowed: GET /nominations/{id}/letter)."""
    shown = data(session, nomination)
    for private in ("applicant_email", "link_expires_at", "link_used_at", "letter"):
        shown.pop(private)
    if str(shown.get("answered_by") or "").startswith("partner:"):
        shown["answered_by"] = "partner"
    shown["has_letter"] = nomination.letter is not None
    return shown


def nominate(session: Session, round_id: str, application_id: str, who: str, now: datetime,
             link_days: int) -> Nomination:
    """Nominate the student of `application_id` to the partner of their accepted offer in the round."""
    # one lock order for every writer of a round's offers: the round, then the offers, then the nomination
    round_ = rounds.get_round(session, round_id, lock=True)
    if round_.status == "closed":
        raise PlacementError("The round is closed: nobody is nominated from it any more.")
    offer = session.scalars(select(Offer).where(Offer.round_id == round_id, Offer.application_id == application_id,
                                                Offer.status == "accepted").with_for_update()).first()
    if offer is None:
        raise PlacementError("Only a student who accepted their offer in this round can be nominated.")
    candidate = session.get(Candidate, application_id, with_for_update=True)  # one nomination at a time
    if candidate is None or candidate.status != "eligible":
        raise PlacementError("This student no longer competes for a place (the application was withdrawn).")
    live = session.scalars(select(Nomination).where(Nomination.application_id == application_id,
                                                    Nomination.status.in_(LIVE))).first()
    if live is not None:
        raise PlacementError(f"This student is already nominated (to {live.partner_name}, {live.status}).")
    person = contact(session, offer.partner_id)
    if person is None:
        raise PlacementError(f"No contact with an e-mail address is on record for {offer.partner_name}: add one "
                             "to its signed agreement first (the partner's link is sent there).", status=422)
    nomination = Nomination(id=str(uuid.uuid4()), round_id=round_id, application_id=application_id,
                            partner_id=offer.partner_id, partner_name=offer.partner_name, status="nominated",
                            nominated_by=who, nominated_at=now, link_nonce=partner_links.new_nonce(),
                            link_expires_at=partner_links.expiry(now, link_days),
                            link_contact_email=person["email"], version=1)
    session.add(nomination)
    session.flush()
    announce(session, "nomination.nominated", nomination.id, _public(session, nomination), nomination.version)
    announce(session, "nomination.link_issued", nomination.id, {
        **_public(session, nomination), "contact_name": person.get("name") or "", "contact_email": person["email"],
        # the link's ingredients, not the link: notifications signs them with the keyring it mounts
        "link_nonce": nomination.link_nonce, "link_expires_at": _iso(nomination.link_expires_at)},
        nomination.version)
    return nomination


def _letter_json(letter: Letter | None) -> dict[str, Any] | None:
    return vars(letter).copy() if letter else None


def answer(session: Session, nomination: Nomination, approve: bool, comment: str | None, who: str, via: str,
           now: datetime, letter: Letter | None = None) -> Nomination:
    """Record the partner's answer (its version or link already checked by the caller).

    The answer claims the nomination by compare-and-set: one UPDATE that only matches while it is still
    `nominated`, its link unused and its version the one read. Exactly one of two concurrent answers matches, on
    PostgreSQL (the second waits for the row and re-reads it) and on SQLite (one writer at a time)."""
    if nomination.status != "nominated":
        raise PlacementError(f"This nomination is {nomination.status}: it takes no answer now.")
    # the round first (a rejection re-runs it): the claim below then locks the nomination in the common order
    rounds.get_round(session, nomination.round_id, lock=True)
    status = "approved" if approve else "rejected"
    claimed = session.execute(
        update(Nomination)
        .where(Nomination.id == nomination.id, Nomination.status == "nominated", Nomination.link_used_at.is_(None),
               Nomination.version == nomination.version)
        .values(status=status, answered_at=now, answered_by=who, answered_via=via,
                comment=(comment or "").strip() or None, letter=_letter_json(letter),
                link_used_at=now if via == "link" else None, version=Nomination.version + 1)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(nomination)
        if via == "link":
            raise partner_links.Used("This link was used already: the answer was recorded.") \
                if nomination.link_used_at else partner_links.Closed("This nomination is no longer waiting.")
        raise PlacementError("This nomination changed since you read it: reload it and try again.")
    session.refresh(nomination)
    announce(session, f"nomination.{nomination.status}", nomination.id, _public(session, nomination),
             nomination.version)
    if not approve:
        _give_the_place_back(session, nomination, who, now)
    return nomination


def _give_the_place_back(session: Session, nomination: Nomination, who: str, now: datetime) -> None:
    """A rejection: offer_changes.place_freed withdraws the student's accepted offer (they return to the ICD's choices,
    unplaced) and re-runs the round, also a final one, so the place moves on. It locks the round, then the offers;
    the nomination row this module already holds is only re-read, never locked again (see nominate's order)."""
    offer_changes.place_freed(session, nomination.round_id, nomination.application_id,
                              who if not who.startswith("partner:") else rounds.SYSTEM, now)


def answer_by_office(session: Session, nomination_id: str, approve: bool, comment: str | None, who: str,
                     version: int, now: datetime) -> Nomination:
    nomination = get(session, nomination_id)  # no row lock here: answer() takes the round's, then claims the row
    if version != nomination.version:
        raise PlacementError("This nomination changed since you read it: reload it and try again.")
    return answer(session, nomination, approve, comment, who, "office", now)


def by_link(session: Session, keyring: list[str], token: str, now: datetime,
            max_age_seconds: int | None = None) -> Nomination:
    """The nomination a partner's link opens, if the link may still answer it (partner_links' refusals else)."""
    claim = partner_links.read(keyring, token, max_age_seconds)
    nomination = session.get(Nomination, claim.nomination_id)
    if nomination is None:
        raise partner_links.Tampered("This link is not valid.")
    partner_links.check(claim, nomination.link_nonce, nomination.link_expires_at, nomination.link_used_at,
                        nomination.status, now)
    return nomination


def answer_by_link(session: Session, keyring: list[str], token: str, approve: bool, comment: str | None,
                   now: datetime, letter: Letter | None = None, max_age_seconds: int | None = None) -> Nomination:
    # no row lock: answer()'s compare-and-set decides between two answers, on SQLite as on PostgreSQL
    nomination = by_link(session, keyring, token, now, max_age_seconds=max_age_seconds)
    # the contact the link was mailed to, not whoever the agreement names now (rows before 0004: the current one)
    email = nomination.link_contact_email or (contact(session, nomination.partner_id) or {}).get("email")
    who = f"partner:{email}" if email else "partner"
    return answer(session, nomination, approve, comment, who, "link", now, letter)


def cancel(session: Session, nomination_id: str, who: str, version: int | None, now: datetime) -> Nomination:
    """The office withdraws a nomination still waiting for an answer (its link stops working)."""
    nomination = get(session, nomination_id, lock=True)
    if version is not None and version != nomination.version:
        raise PlacementError("This nomination changed since you read it: reload it and try again.")
    if nomination.status != "nominated":
        raise PlacementError(f"This nomination is {nomination.status}: it can no longer be cancelled.")
    nomination.status, nomination.answered_at, nomination.answered_by = "cancelled", now, who
    nomination.answered_via, nomination.version = "office", nomination.version + 1
    session.flush()
    announce(session, "nomination.cancelled", nomination.id, _public(session, nomination), nomination.version)
    return nomination


def cancel_for_student(session: Session, application_id: str, now: datetime, reason: str) -> list[Nomination]:
    """The student left the selection (a withdrawal, an upheld objection): their live nomination, waiting or
    already approved, is cancelled so its link stops working and mobilities drops the host. `reason` names the
    path ("withdrawal", "objection", ...) and travels in the event. Returns the nominations cancelled."""
    cancelled = []
    for nomination in session.scalars(select(Nomination).where(Nomination.application_id == application_id,
                                                               Nomination.status.in_(LIVE))
                                      .order_by(Nomination.nominated_at).with_for_update()):
        nomination.status, nomination.answered_at = "cancelled", now
        nomination.answered_by, nomination.answered_via = rounds.SYSTEM, "office"
        nomination.version += 1
        session.flush()
        announce(session, "nomination.cancelled", nomination.id,
                 {**_public(session, nomination), "reason": reason}, nomination.version)
        cancelled.append(nomination)
    return cancelled
