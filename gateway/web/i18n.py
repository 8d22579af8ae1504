"""Languages: Simplified Chinese and English for every page and message (Flask-Babel).

The language is the one the visitor chose (the switch, saved on the account when signed in), else the
account's setting, else the browser's Accept-Language, else Chinese.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, redirect, request, session
from flask_babel import Babel
from werkzeug.exceptions import BadRequest

from gateway import identity
from gateway.models import User
from gateway.web import sessions
from gateway.web.security import csrf

LANGUAGES = {"zh": "中文", "en": "English"}
bp = Blueprint("web_i18n", __name__)
bp.before_request(csrf.protect)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    user = getattr(g, "user", None)
    if user is not None and user.locale in LANGUAGES:
        return str(user.locale)
    return request.accept_languages.best_match(list(LANGUAGES)) or "zh"


@bp.post("/language")
def switch() -> object:
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        raise BadRequest("Unknown language.")
    session["lang"] = lang
    if g.user is not None:
        with current_app.extensions["gateway"].sessions() as db, db.begin():
            user = db.get(User, g.user.username)
            if user is not None and user.locale != lang:
                identity.update(db, user, locale=lang)  # notifications follow the user's language too
    return redirect(sessions.safe_next(request.form.get("next")))


def install(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.register_blueprint(bp)
