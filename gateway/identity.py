"""Identity: local accounts with Argon2id passwords; every change is announced as `user.registered`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from chassis.tokens import Identity
from eventbus import envelope, outbox
from gateway.models import User

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# Verifying against this when the user does not exist keeps the timing of "no such user" and
# "wrong password" alike.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
SOURCE = "/services/gateway"


def authenticate(session: Session, username: str, password: str) -> Identity | None:
    user = session.get(User, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    return identity_of(user)


def identity_of(user: User) -> Identity:
    return Identity(
        username=user.username, roles=list(user.roles), school=user.school, locale=user.locale,
        email=user.email, name=user.display_name,
    )


def register(
    session: Session, *, username: str, password: str, email: str, locale: str = "zh",
    school: str | None = None, roles: list[dict[str, Any]] | None = None, display_name: str = "",
) -> User:
    """Create or update an account, and announce it in the same transaction."""
    user = session.get(User, username) or User(username=username, created_at=datetime.now(UTC))
    user.password_hash = _hasher.hash(password)
    user.email, user.locale, user.school = email, locale, school
    user.roles, user.display_name = list(roles or []), display_name
    session.add(user)
    outbox.add(session, envelope.new_event(
        "user.registered", SOURCE, username,
        {"username": username, "display_name": display_name, "email": email, "locale": locale,
         "school": school, "roles": user.roles},
    ))
    return user
