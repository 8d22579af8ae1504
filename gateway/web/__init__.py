"""The web interface: server-rendered pages (Jinja2) for applicants, reviewers and admins, in Chinese and English.

Pages call the services through the same routes and short-lived tokens as API clients do (web/services.py).
Everything they load is served from /static: no CDN, no inline script.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException

from chassis import errors
from chassis.settings import Settings
from gateway.web import (
    admin,
    agreement_pages,
    applicant,
    auth_pages,
    back,
    brand,
    change_pages,
    home,
    i18n,
    inbox,
    kinds,
    mail,
    mobility_admin,
    mobility_pages,
    mobility_review,
    oidc,
    partner_pages,
    passport_pages,
    publicity,
    reviewer,
    security,
    selection_pages,
    selection_publicity,
    services,
    sessions,
    stats,
    trip_rules_admin,
    verify,
    worklist,
)
from gateway.web.services import ServiceDown

API_PREFIXES = ("/api/", "/.well-known/", "/healthz", "/readyz")


def _is_page() -> bool:
    return not request.path.startswith(API_PREFIXES)


def _error_page(error: HTTPException) -> Response:
    if not _is_page():
        return errors.from_http_exception(error)
    code = error.code or 500
    if isinstance(error, ServiceDown):
        code = 503
    body = render_template("error.html", code=code, service_down=isinstance(error, ServiceDown),
                           csrf_failed=isinstance(error, CSRFError))
    response = Response(body, status=code, mimetype="text/html")
    for key, value in error.get_headers() if code in (405, 429) else []:
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def _database_error_page(error: Exception) -> Response:
    """The gateway's own database down (sessions are read before every page): the error page, as for a service
    that is down, with Retry-After; the API keeps its problem+json."""
    response = errors.unexpected(error)
    if response.status_code != 503 or not _is_page():
        return response
    page = Response(render_template("error.html", code=503, service_down=True, csrf_failed=False), status=503,
                    mimetype="text/html")
    page.headers["Retry-After"] = response.headers["Retry-After"]
    return page


def _past(value: str | None) -> bool:
    """`{% if t.due_at is past %}`: an ISO timestamp from a service, before now."""
    try:
        return bool(value) and datetime.fromisoformat(str(value).replace("Z", "+00:00")) < datetime.now(UTC)
    except ValueError:
        return False


def install(app: Flask, settings: Settings) -> None:
    security.install(app, settings)
    app.before_request(sessions.load_user)
    i18n.install(app)
    back.install(app)
    for module in (auth_pages, home, applicant, reviewer, inbox, admin, stats, worklist, mail, verify, publicity,
                   trip_rules_admin):
        app.register_blueprint(module.bp)
    oidc.install(app, settings)
    brand.install(app, settings)
    app.register_blueprint(change_pages.bp)  # changes after approval
    app.register_blueprint(mobility_pages.bp)  # the trip itself, after approval
    app.register_blueprint(mobility_review.bp)  # reviewers' pages after approval: reports, overdue, credits
    app.register_blueprint(mobility_admin.bp)  # the office's settings after approval
    app.register_blueprint(passport_pages.bp)  # the register of official passports in the office's custody
    app.register_blueprint(agreement_pages.bp)  # the agreements with partners and the places they give
    app.register_blueprint(selection_pages.bp)  # the selection rounds, scores, allocation, offers, nominations
    app.register_blueprint(selection_publicity.bp)  # the 差额公示 of a round's candidate list, objections
    app.register_blueprint(partner_pages.bp)  # a partner's answer to a nomination: no sign-in, the signed link
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(Exception, _database_error_page)
    app.jinja_env.filters["t"] = services.translated  # messages from services: plain text, escaped as such
    app.jinja_env.globals["csrf_token"] = generate_csrf
    kinds.install(app)
    app.jinja_env.tests["past"] = _past

    @app.context_processor
    def _page_globals() -> dict[str, Any]:
        if not _is_page():
            return {}
        user = g.get("user")
        return {
            "user": user, "lang": str(get_locale() or "zh"), "languages": i18n.LANGUAGES,
            "unread": inbox.unread_count() if user is not None else None,
            "is_reviewer": sessions.has_any_role(user, *sessions.REVIEWER_ROLES),
            "is_manager": sessions.has_any_role(user, *admin.MANAGERS),
            "is_admin": sessions.has_any_role(user, "admin"),
            "sees_stats": sessions.has_any_role(user, *stats.VIEWERS),
            "sso": oidc.enabled(),
        }
