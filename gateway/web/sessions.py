"""Browser sessions: a random token in Flask's signed, HttpOnly, SameSite=Lax cookie; its hash in the database.

Storing the session server-side means logout (or an admin) really ends it, and every gunicorn worker sees it.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import delete
from werkzeug.exceptions import Forbidden

from chassis.tokens import Identity
from gateway import identity
from gateway.models import User, WebSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin(username: str) -> None:
    gw = current_app.extensions["gateway"]
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with gw.sessions() as db, db.begin():
        db.add(WebSession(token_hash=_hash(token), username=username, created_at=now,
                          expires_at=now + timedelta(seconds=gw.settings.session_ttl)))
    lang = session.get("lang")
    session.clear()  # a fresh cookie (and CSRF token) on login: no session fixation
    session["sid"] = token
    if lang:
        session["lang"] = lang
    session.permanent = True


def end() -> None:
    token = session.get("sid")
    if token:
        with current_app.extensions["gateway"].sessions() as db, db.begin():
            db.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))
    session.clear()


def end_all(db: Any, username: str) -> None:
    db.execute(delete(WebSession).where(WebSession.username == username))


def load_user() -> None:
    """before_request: g.user is the signed-in Identity, or None."""
    g.user = None
    token = session.get("sid")
    if not token:
        return
    with current_app.extensions["gateway"].sessions() as db:
        row = db.get(WebSession, _hash(token))
        user = db.get(User, row.username) if row and row.expires_at > datetime.now(UTC) else None
        if user is not None:
            g.user = identity.identity_of(user)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("web_auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


REVIEWER_ROLES = ("school_coordinator", "school_dean", "icd_officer", "vice_president", "admin")


def has_any_role(user: Identity | None, *roles: str) -> bool:
    return user is not None and any(user.has_role(role) for role in roles)


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not has_any_role(g.user, *roles):
                raise Forbidden()
            return view(*args, **kwargs)

        return login_required(wrapper)

    return decorate


def safe_next(target: str | None) -> str:
    """A local path to go to after login or a language switch; anything else (another site, `//host`,
    a path with control characters that browsers or Werkzeug would drop) means the home page."""
    if (target and target.startswith("/") and not target.startswith("//")
            and not any(ch < " " or ch in "\\\x7f" for ch in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("web_auth.home")
