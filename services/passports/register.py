"""The register's rules: a passport entered (its number normalised, checked, never twice for a type), shown masked
with its open loan, changed by the clerk within the rules of its status; and the keyring the numbers are sealed
with, loaded once per app.

Only `number_of` opens a number here; its callers are the clerk's number view, the duplicate check and the import
(rotation.py opens and re-seals them with the keyring alone).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidTag
from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from chassis.app import ctx
from chassis.settings import Settings
from chassis.tokens import Identity
from services.passports import access, audit, crypto, custody
from services.passports.errors import PassportError
from services.passports.models import TYPES, Handover, Loan, Passport, Trip

_KEYRING = "passport_keyring"


def keyring_for(settings: Settings) -> crypto.Keyring:
    """The keyring as the file holds it now (a command, a worker, a test): created with one key when missing."""
    return crypto.load(settings.passport_keys_file)


def keyring() -> crypto.Keyring:
    """The app's keyring, loaded once and read again only when the file changes: after `mobility passports
    new-key` the running API seals new numbers with the new key, and reads rows `rotate` moved to it, without a
    restart (a stale keyring would go on sealing with a key about to be removed)."""
    path = ctx().settings.passport_keys_file
    cached = current_app.extensions.get(_KEYRING)
    try:
        stat = os.stat(path)
        stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        stamp = None
    if cached is None or cached[0] != stamp or stamp is None:
        ring = crypto.load(path)
        stat = os.stat(path)
        cached = ((stat.st_mtime_ns, stat.st_size), ring)
        current_app.extensions[_KEYRING] = cached
    return cached[1]  # type: ignore[no-any-return]


def today() -> date:
    """The office's calendar day (inside a request)."""
    return datetime.now(UTC).astimezone(ZoneInfo(ctx().settings.timezone)).date()


def number_of(ring: crypto.Keyring, passport: Passport) -> str:
    """The whole number (crypto.KeyMissing when its key is gone from the keyring)."""
    return ring.decrypt(passport.number_key, passport.number_cipher, passport.id)


def lock_register(session: Session) -> None:
    """Serialise entries into the register (two clerks typing the same number at once would both pass the
    duplicate check): the settings row is the register's lock."""
    custody.rules(session, lock=True)


def numbers_of_type(session: Session, ring: crypto.Keyring, type_: str) -> dict[str, str]:
    """number → passport id for every readable passport of a type (registers are small: a few thousand rows).
    A row under a missing key cannot be compared; `mobility passports rotate` reports those."""
    found = {}
    for passport in session.scalars(select(Passport).where(Passport.type == type_)):
        try:
            found[number_of(ring, passport)] = passport.id
        except (crypto.KeyMissing, InvalidTag):
            continue
    return found


def check_number(number: str) -> str:
    """The number normalised; 422 when it is not 5 to 20 letters and digits."""
    value = crypto.normalised(number)
    if not crypto.valid(value):
        raise PassportError("The number is not valid.", 422,
                            {"number": ["5 to 20 letters and digits (spaces and hyphens are ignored)."]})
    return value


def check_dates(issued_on: date | None, expires_on: date) -> None:
    if issued_on is not None and expires_on <= issued_on:
        raise PassportError("The dates are not valid.", 422, {"expires_on": ["Must be after the date of issue."]})


def new_passport(ring: crypto.Keyring, values: dict[str, Any], number: str, now: datetime, on: date) -> Passport:
    """A register row for checked values (number normalised and valid), its number sealed to its id. A passport
    whose expiry date is before `on` (the office's day) is entered `expired`: the office's list keeps its old
    passports too, and the register must know them (a duplicate, a holder's history) without lending them out."""
    passport_id = str(uuid.uuid4())
    key_id, cipher = ring.encrypt(number, passport_id)
    return Passport(
        id=passport_id, holder_name=values["holder_name"].strip(), staff_number=values["staff_number"].strip(),
        holder_username=values.get("holder_username") or None, school=values.get("school") or None,
        type=values["type"], number_cipher=cipher, number_key=key_id, number_last4=number[-4:],
        issued_on=values.get("issued_on"), expires_on=values["expires_on"], kept_at=values.get("kept_at") or "",
        status="expired" if values["expires_on"] < on else "in_custody", note=values.get("note"), version=1,
        created_at=now, updated_at=now)


def create(session: Session, ring: crypto.Keyring, actor: str, values: dict[str, Any], now: datetime,
           on: date) -> Passport:
    """Enter one passport (the clerk): 422 for a bad number or dates, 409 when the type's number is there; one
    already past its expiry date is entered `expired`, as the import does."""
    number = check_number(values["number"])
    check_dates(values.get("issued_on"), values["expires_on"])
    lock_register(session)
    if number in numbers_of_type(session, ring, values["type"]):
        raise PassportError(f"A {TYPES[values['type']][0].lower()} with this number is already in the register.")
    passport = new_passport(ring, values, number, now, on)
    session.add(passport)
    audit.record(session, actor, "created", passport.id, type=passport.type)
    return passport


def open_loan(session: Session, passport_id: str, lock: bool = False) -> Loan | None:
    """The passport's loan until its return (at most one); `lock` holds it (a return, a sweep wait for each other)."""
    query = select(Loan).where(Loan.passport_id == passport_id, Loan.returned_on.is_(None))
    return session.scalars(query.with_for_update() if lock else query).first()


def _titles(session: Session, mobility_ids: Iterable[str]) -> dict[str, str]:
    ids = set(mobility_ids)
    if not ids:
        return {}
    return dict(session.execute(select(Trip.mobility_id, Trip.title).where(Trip.mobility_id.in_(ids))).all())


def _item(passport: Passport, loan: dict[str, Any] | None) -> dict[str, Any]:
    return {
        **{c: getattr(passport, c) for c in (
            "id", "holder_name", "staff_number", "holder_username", "school", "type", "number_last4", "issued_on",
            "expires_on", "kept_at", "status", "version")},
        "number_masked": custody.masked(passport), "loan": loan}


def items(session: Session, passports: list[Passport], on: date) -> list[dict[str, Any]]:
    """The register's list items (masked), each with its open loan, in two queries for the page."""
    ids = [p.id for p in passports]
    loans = {loan.passport_id: loan for loan in session.scalars(
        select(Loan).where(Loan.passport_id.in_(ids), Loan.returned_on.is_(None)))} if ids else {}
    titles = _titles(session, (loan.mobility_id for loan in loans.values()))
    return [_item(p, custody.loan_shown(loans[p.id], titles.get(loans[p.id].mobility_id, ""), on)
                  if p.id in loans else None) for p in passports]


def detail(session: Session, passport: Passport, on: date, trips: list[dict[str, Any]]) -> dict[str, Any]:
    """One passport as its page shows it: the item, its handovers and loans (oldest first), and `trips` (given:
    the clerk's choice of trips to hand it out for, [] for everyone else)."""
    loans = list(session.scalars(select(Loan).where(Loan.passport_id == passport.id)
                                 .order_by(Loan.handed_out_at, Loan.id)))
    titles = _titles(session, (loan.mobility_id for loan in loans))
    current = next((loan for loan in loans if loan.returned_on is None), None)
    handovers = session.scalars(select(Handover).where(Handover.passport_id == passport.id)
                                .order_by(Handover.at, Handover.id))
    return {
        **_item(passport, None if current is None else custody.loan_shown(current, titles.get(current.mobility_id, ""),
                                                                           on)),
        "note": passport.note, "created_at": passport.created_at, "updated_at": passport.updated_at,
        "handovers": list(handovers),
        "loans": [custody.loan_shown(loan, titles.get(loan.mobility_id, ""), on) for loan in loans],
        "trips": trips,
    }


def scope_filter(identity: Identity) -> Any:
    """The passports the caller may read, as a WHERE clause (None: all of them)."""
    if access.sees_all(identity):
        return None
    schools = access.schools_reviewed(identity)
    mine = Passport.holder_username == identity.username
    return or_(mine, Passport.school.in_(schools)) if schools else mine


def filters(query: dict[str, Any], on: date) -> list[Any]:
    """The list's query (status, school, q, expiring_within, overdue) as WHERE clauses."""
    where: list[Any] = []
    if query.get("status"):
        where.append(Passport.status == query["status"])
    if query.get("school"):
        where.append(Passport.school == query["school"])
    if query.get("q"):
        q = query["q"].strip()
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(Passport.holder_name.ilike(like, escape="\\"), Passport.staff_number == q))
    if query.get("expiring_within") is not None:
        where.append(and_(Passport.expires_on <= on + timedelta(days=query["expiring_within"]),
                          Passport.status.notin_(("cancelled", "lost"))))
    if query.get("overdue") is not None:
        late = exists().where(Loan.passport_id == Passport.id, Loan.returned_on.is_(None), Loan.due_on < on)
        where.append(late if query["overdue"] else ~late)
    return where


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Passport)) or 0)


EDITABLE = ("kept_at", "status", "expires_on", "issued_on", "holder_username", "school", "note")


def patch(session: Session, passport: Passport, changes: dict[str, Any], actor: str, now: datetime) -> list[str]:
    """Apply the clerk's changes; returns the names of the fields that changed (audited `updated`, with names
    only). A status goes handed_out only by a hand-out and back to custody only by a return; a passport out on
    loan may be declared lost."""
    changed = [f for f in EDITABLE if f in changes and changes[f] != getattr(passport, f)]
    if "status" in changed:
        if passport.status == "handed_out" or open_loan(session, passport.id) is not None:
            if changes["status"] != "lost":
                raise PassportError("This passport is out on loan: record its return first (or declare it lost).")
    issued = changes["issued_on"] if "issued_on" in changed else passport.issued_on
    expires = changes["expires_on"] if "expires_on" in changed else passport.expires_on
    if "issued_on" in changed or "expires_on" in changed:
        check_dates(issued, expires)
    if not changed:
        return []
    detail: dict[str, Any] = {"fields": changed}
    if "status" in changed:
        detail["status"] = {"from": passport.status, "to": changes["status"]}
    for name in changed:
        setattr(passport, name, changes[name])
    passport.version += 1
    passport.updated_at = now
    audit.record(session, actor, "updated", passport.id, **detail)
    return changed
