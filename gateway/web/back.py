"""The way back from an error page: the page the visitor came from when it is one of ours (the application
whose upload was too large), else the start page. Never another site's address."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request, url_for

from gateway.web import sessions


def back_link() -> tuple[str, bool]:
    """(where to go back to, whether it is an application page)."""
    home = url_for("web_auth.home")
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc != request.host or came_from.path == request.path:
        return home, False
    target = sessions.safe_next(came_from.path + (f"?{came_from.query}" if came_from.query else ""))
    return target, target != home and target.startswith("/applications/")


def install(app: Flask) -> None:
    app.jinja_env.globals["back_link"] = back_link
