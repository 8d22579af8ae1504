"""Languages: Simplified Chinese and English for every page and message (Flask-Babel).

The language is the one the visitor chose (the switch, saved on the account when signed in), else the
account's setting, else the browser's Accept-Language, else Chinese.

Times are shown in the office's zone (MOBILITY_TIMEZONE), with the zone named, in the reader's format:
"2026年12月11日 13:14（北京时间）", "Dec 11, 2026, 13:14 (China Standard Time)"; dates likewise without the time.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import get_timezone_name
from flask import Blueprint, Flask, current_app, g, redirect, request, session
from flask_babel import Babel, format_date, format_time, get_locale, get_timezone
from werkzeug.exceptions import BadRequest

from gateway import identity
from gateway.models import User
from gateway.web import sessions, words
from gateway.web.security import csrf

LANGUAGES = {"zh": "中文", "en": "English"}
# What people call a zone where babel's name is not it (babel says 中国标准时间; readers in China say 北京时间).
ZONE_WORDS = {("zh", "Asia/Shanghai"): "北京时间"}
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


def _instant(value: str | datetime | None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def zone_name(at: datetime) -> str:
    """The office's zone in the reader's words, as it stands at `at` (standard or daylight time)."""
    zone, lang = get_timezone(), str(get_locale() or "zh")
    return ZONE_WORDS.get((lang, str(zone))) or get_timezone_name(at.astimezone(zone), "long", locale=get_locale())


def when(value: str | datetime | None) -> str:
    """`{{ ts|when }}`: an ISO timestamp from a service as a date and time in the office's zone, zone named.
    A value that is not a timestamp is shown as it came (never an error page for a display)."""
    at = _instant(value)
    if at is None:
        return str(value or "")
    if str(get_locale()) == "zh":
        return f"{format_date(at, 'long')} {format_time(at, 'HH:mm')}（{zone_name(at)}）"
    return f"{format_date(at, 'medium')}, {format_time(at, 'HH:mm')} ({zone_name(at)})"


def day(value: str | date | None) -> str:
    """`{{ d|day }}`: a date ("2026-12-11"), or the day of a timestamp in the office's zone, in the reader's
    format ("2026年12月11日", "December 11, 2026")."""
    shown: date | None = value if isinstance(value, date) else None
    if isinstance(value, str):
        try:
            shown = _instant(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            shown = None
    return format_date(shown, "long") if shown is not None else str(value or "")


def install(app: Flask) -> None:
    zone = app.extensions["gateway"].settings.timezone if "gateway" in app.extensions else "UTC"
    Babel(app, locale_selector=select_locale, default_translation_directories="translations", default_timezone=zone)
    app.register_blueprint(bp)
    app.jinja_env.filters.update(when=when, day=day)
    words.install(app)
