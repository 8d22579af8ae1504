"""Identity: local accounts (Argon2id), schools, roles scoped to schools, lockout, and API clients.

Every change to an account is announced as `user.registered` in the same transaction, so the services'
copies (notifications' recipients) follow.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from chassis.tokens import Identity
from eventbus import catalog, envelope, outbox
from gateway.models import Client, School, User

# Argon2id at OWASP's recommended floor (19 MiB, 2 passes, 1 lane) rather than argon2-cffi's default
# 64 MiB: every concurrent login holds that memory, and a gateway worker serves four at once (the benchmark
# saw one worker at 165 MB). Hashes made with other parameters still verify and are upgraded at login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verifying against this when the user does not exist keeps the timing of "no such user" and
# "wrong password" alike.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
SOURCE = "/services/gateway"
WECOM_ID = re.compile(catalog.property_pattern("user.registered", "contacts", "wecom"))  # what the event may carry
log = structlog.get_logger(__name__)
LOCALES = ("zh", "en")
# role: whether it is scoped to a school (True) or university-wide (False)
ROLES = {
    "student": True, "teacher": True, "staff": True, "school_coordinator": True, "school_dean": True,
    "icd_officer": False, "vice_president": False, "admin": False,
    "passport_clerk": False,  # keeps the office's register of official passports (services/passports)
}
CLIENT_SCOPES = {
    "events:read": "read the event feed",
    "subscriptions:manage": "manage its own webhook subscriptions",
}


class InvalidAccount(ValueError):
    """Bad account data, field by field (shown as a 422 or as form errors)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Lockout:
    max_failures: int
    seconds: int


def authenticate(
    session: Session, username: str, password: str, lockout: Lockout | None = None, now: datetime | None = None
) -> Identity | None:
    """The identity for a correct password; None otherwise, and None while the account is locked.

    A locked account answers like a wrong password, so that locking does not reveal which usernames exist.
    Failures are counted with an atomic UPDATE in the database, so the count holds across gunicorn workers.
    """
    now = now or datetime.now(UTC)
    user = session.get(User, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if user is None:
        return None
    if user.locked_until is not None and user.locked_until > now:
        log.info("auth.locked_account", username=username, until=user.locked_until.isoformat())
        return None
    if ok:
        changed = bool(user.failed_logins or user.locked_until)
        user.failed_logins, user.locked_until = 0, None
        changed = _upgrade_hash(session, User.password_hash, User.username == username, user.password_hash,
                                password) or changed
        if changed:
            session.commit()
        return identity_of(user)
    if lockout is not None:
        session.execute(sql_update(User).where(User.username == username).values(failed_logins=User.failed_logins + 1))
        session.refresh(user)
        if user.failed_logins >= lockout.max_failures:
            user.failed_logins, user.locked_until = 0, now + timedelta(seconds=lockout.seconds)
            log.warning("auth.account_locked", username=username, seconds=lockout.seconds)
        session.commit()
    return None


def identity_of(user: User) -> Identity:
    return Identity(
        username=user.username, roles=list(user.roles), school=user.school, locale=user.locale,
        email=user.email, name=user.display_name,
    )


def check_roles(session: Session, roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Known roles only; a school-scoped role names a known school, a university-wide one none."""
    errors: list[str] = []
    known_schools = set(session.scalars(select(School.code)))
    clean: list[dict[str, Any]] = []
    for entry in roles:
        role, school = entry.get("role"), entry.get("school") or None
        if role not in ROLES:
            errors.append(f"unknown role {role!r}")
        elif ROLES[role] and school not in known_schools:
            errors.append(f"{role} needs a known school, got {school!r}")
        elif not ROLES[role] and school:
            errors.append(f"{role} is university-wide and takes no school")
        else:
            clean.append({"role": role, "school": school})
    if errors:
        raise InvalidAccount({"roles": errors})
    return clean


def register(
    session: Session, *, username: str, password: str, email: str, locale: str = "zh",
    school: str | None = None, roles: list[dict[str, Any]] | None = None, display_name: str = "",
    wecom_id: str | None = None,
) -> User:
    """Create or update an account, and announce it in the same transaction."""
    user = session.get(User, username) or User(username=username, created_at=datetime.now(UTC))
    user.password_hash = _hasher.hash(password)
    user.email, user.locale, user.school = email, locale, school
    user.wecom_id = check_wecom_id(wecom_id)
    user.roles, user.display_name = list(roles or []), display_name
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    announce(session, user)
    return user


def update(session: Session, user: User, *, password: str | None = None, **changes: Any) -> User:
    """Change an account's fields (display_name, email, wecom_id, locale, school, roles) and announce it."""
    if "locale" in changes and changes["locale"] not in LOCALES:
        raise InvalidAccount({"locale": [f"one of {', '.join(LOCALES)}"]})
    if "wecom_id" in changes:
        changes["wecom_id"] = check_wecom_id(changes["wecom_id"])
    if "roles" in changes:
        changes["roles"] = check_roles(session, changes["roles"])
    for name, value in changes.items():
        setattr(user, name, value)
    if password:
        user.password_hash = _hasher.hash(password)
    announce(session, user)
    return user


def check_wecom_id(value: str | None) -> str | None:
    """A WeCom userid (1-64 letters, digits, `_`, `-`, `.`, `@`; not `@all`, which WeCom reads as everyone in
    the company), or None for none ("" clears it)."""
    if not value:
        return None
    if not WECOM_ID.fullmatch(value) or value.lower() == "@all":
        raise InvalidAccount({"wecom_id": ["1 to 64 letters, digits, _ - . or @, and not @all"]})
    return value


def unlock(user: User) -> None:
    user.failed_logins, user.locked_until = 0, None


def announce(session: Session, user: User) -> None:
    outbox.add(session, envelope.new_event(
        "user.registered", SOURCE, user.username,
        {"username": user.username, "display_name": user.display_name, "email": user.email,
         "locale": user.locale, "school": user.school, "roles": list(user.roles),
         "contacts": {"wecom": user.wecom_id} if user.wecom_id else {}},
    ))


def add_school(session: Session, code: str, name_en: str, name_zh: str) -> School:
    school = session.get(School, code) or School(code=code)
    school.name_en, school.name_zh = name_en, name_zh
    session.add(school)
    return school


def register_client(session: Session, client_id: str, name: str, scopes: list[str]) -> tuple[Client, str]:
    """A new API client (or a new secret for an existing one). The secret is shown once; only its hash is kept."""
    unknown = sorted(set(scopes) - set(CLIENT_SCOPES))
    if unknown or not scopes:
        raise InvalidAccount({"scopes": [f"unknown scope {s!r}" for s in unknown] or ["choose at least one"]})
    secret = secrets.token_urlsafe(32)
    client = session.get(Client, client_id) or Client(client_id=client_id, created_at=datetime.now(UTC))
    client.name, client.scopes, client.active = name, sorted(set(scopes)), True
    client.secret_hash = _hasher.hash(secret)
    session.add(client)
    return client, secret


def disable_client(session: Session, client_id: str) -> None:
    """No new tokens for this client (tokens already issued expire within MOBILITY_ACCESS_TOKEN_TTL)."""
    client = session.get(Client, client_id)
    if client is None:
        raise InvalidAccount({"client_id": [f"no client {client_id!r}"]})
    client.active = False


def parse_roles(items: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """`role@school` (a school role) or `role` (university-wide) → role entries; blanks are skipped."""
    roles = []
    for item in filter(None, (part.strip() for part in items)):
        role, _, school = item.partition("@")
        roles.append({"role": role.strip(), "school": school.strip() or None})
    return roles


def authenticate_client(session: Session, client_id: str, secret: str) -> Client | None:
    client = session.get(Client, client_id)
    try:
        _hasher.verify(client.secret_hash if client else _DUMMY_HASH, secret)
    except (VerificationError, InvalidHashError):
        return None
    if client is not None and _upgrade_hash(session, Client.secret_hash, Client.client_id == client_id,
                                            client.secret_hash, secret):
        session.commit()
    return client if client is not None and client.active else None


def _upgrade_hash(session: Session, column: Any, row: Any, old: str, secret: str) -> bool:
    """After a successful check, re-hash a hash made with older parameters; only if it is still the one
    checked, so that a password changed meanwhile is never overwritten with the old one."""
    if not _hasher.check_needs_rehash(old):
        return False
    session.execute(sql_update(column.class_).where(row, column == old).values({column.key: _hasher.hash(secret)}))
    return True


def client_identity(client: Client, scopes: list[str]) -> Identity:
    """External systems act as `client:<id>` with the client_system role; scopes limit where (gateway)."""
    return Identity(username=f"client:{client.client_id}", roles=[{"role": "client_system", "school": None}],
                    locale="en", name=client.name, scopes=tuple(scopes))
