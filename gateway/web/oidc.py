"""Optional single sign-on with the university's OpenID Connect provider (Authlib), on when
MOBILITY_OIDC_ISSUER is set.

SSO proves who someone is; what they may do still comes from their account here. The first SSO login links
to the account whose e-mail the provider has verified; later logins find it by the provider's `sub`. Nobody
gets an account, or a role, just by having a university login.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import Blueprint, Flask, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from chassis.settings import Settings
from gateway.models import User
from gateway.web import sessions

bp = Blueprint("web_oidc", __name__)
log = structlog.get_logger(__name__)


def enabled() -> bool:
    return bool(current_app.extensions["gateway"].settings.oidc_issuer)


def _provider() -> Any:
    return current_app.extensions["authlib.integrations.flask_client"].university


@bp.get("/login/sso")
def start() -> Any:
    settings = current_app.extensions["gateway"].settings
    return _provider().authorize_redirect(f"{settings.public_base_url}/login/sso/callback")


@bp.get("/login/sso/callback")
def callback() -> Any:
    from authlib.integrations.base_client import OAuthError

    try:
        token = _provider().authorize_access_token()
    except OAuthError as exc:
        log.info("oidc.refused", error=exc.error, description=exc.description)
        flash(_("Single sign-on did not succeed. Try again, or sign in with your password."), "error")
        return redirect(url_for("web_auth.login"))
    claims = token.get("userinfo") or {}
    subject, email = claims.get("sub"), (claims.get("email") or "").lower()
    with current_app.extensions["gateway"].sessions() as db, db.begin():
        user = db.scalars(select(User).where(User.oidc_subject == subject)).first() if subject else None
        if user is None and email and claims.get("email_verified") is True:
            user = db.scalars(select(User).where(func.lower(User.email) == email, User.oidc_subject.is_(None))).first()
            if user is not None:
                user.oidc_subject = subject  # linked once; the e-mail may change later, the subject does not
        username = user.username if user is not None else None
    if username is None:
        log.info("oidc.no_account", subject=subject)
        flash(_("Your university login has no account here yet. Ask the International Cooperation Department."),
              "error")
        return redirect(url_for("web_auth.login"))
    sessions.begin(username)
    return redirect(url_for("web_auth.home"))


def install(app: Flask, settings: Settings) -> None:
    if not settings.oidc_issuer:
        return
    from authlib.integrations.flask_client import OAuth  # ~15 MB per gateway worker: only where SSO is on

    oauth = OAuth(app)
    oauth.register(
        "university", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )
    app.register_blueprint(bp)
