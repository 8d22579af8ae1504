"""Signing in and out, and `/`, which sends a signed-in person to the start page (home.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gateway import identity
from gateway.web import sessions
from gateway.web.forms import LoginForm
from gateway.web.security import csrf

bp = Blueprint("web_auth", __name__)
bp.before_request(csrf.protect)
@bp.get("/")
def home() -> Any:
    if g.user is None:
        return redirect(url_for("web_auth.login"))
    return redirect(url_for("web_home.start"))  # what needs me now; from there, the queue or my applications


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        gw = current_app.extensions["gateway"]
        gw.ratelimits.hit("login", request.remote_addr or "-")
        with gw.sessions() as db:
            who = identity.authenticate(db, form.username.data, form.password.data, gw.lockout)
        if who is not None:
            sessions.begin(who.username)
            return redirect(sessions.safe_next(request.args.get("next")))
        status = 401
        form.form_errors.append(_("Unknown username or wrong password. After several failed attempts an "
                                  "account is locked for a while."))
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form), status


@bp.post("/logout")
def logout() -> Any:
    sessions.end()
    flash(_("You have signed out."), "info")
    return redirect(url_for("web_auth.login"))
