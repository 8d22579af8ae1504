"""The university's brand on every page: its name (MOBILITY_UNIVERSITY_NAME, MOBILITY_UNIVERSITY_NAME_EN) and
logo (MOBILITY_LOGO_FILE, served at /brand/logo), and the favicon. Unset, the pages stay neutral ("Mobility")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, send_file, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from chassis.settings import Settings

bp = Blueprint("web_brand", __name__)


def install(app: Flask, settings: Settings) -> None:
    app.register_blueprint(bp)
    app.extensions["brand"] = settings

    @app.context_processor
    def _brand() -> dict[str, Any]:
        english = str(get_locale() or "zh") == "en"
        name = (settings.university_name_en if english else "") or settings.university_name
        return {"brand_name": name, "brand_logo": bool(settings.logo_file and settings.logo_file.is_file())}


@bp.get("/brand/logo")
def logo() -> Response:
    path = current_app.extensions["brand"].logo_file
    if path is None or not path.is_file():
        abort(404)
    return send_file(path.resolve(), max_age=3600)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links: send them to the SVG rather than a 404."""
    return redirect(url_for("static", filename="favicon.svg"), 301)  # type: ignore[return-value]
