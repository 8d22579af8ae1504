"""Admin pages: programs and partners, review chains, users, roles and schools, API clients, webhook
subscriptions, and parked (DLQ) messages with replay.

Programs, chains and subscriptions belong to the services and go through their APIs (the services check the
admin's rights again); accounts, schools and clients are the gateway's own; parked messages are the broker's.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from chassis.owners import consuming_queues
from gateway import identity
from gateway.models import Client, School, User
from gateway.web import services
from gateway.web.security import csrf
from gateway.web.sessions import end_all, roles_required

bp = Blueprint("web_admin", __name__, url_prefix="/admin")
bp.before_request(csrf.protect)
MANAGERS = ("admin", "icd_officer")


def _db() -> Any:
    return current_app.extensions["gateway"].sessions()


def _flash_reply(reply: services.Reply, done: str) -> None:
    if reply.ok:
        flash(done, "success")
        return
    details = [f"{k}: {'; '.join(services.translated(m) for m in v)}" for k, v in reply.field_errors().items()]
    flash(" ".join([reply.explain(_("Refused.")), *details]), "error")


@bp.get("")
@roles_required(*MANAGERS)
def index() -> str:
    return render_template("admin/index.html")


@bp.route("/programs", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def programs() -> Any:
    if request.method == "POST":
        if request.form.get("what") == "partner":
            body: dict[str, Any] = {k: request.form.get(k, "").strip() for k in ("name", "country", "region")}
            _flash_reply(services.request("POST", "partners", json_body=body), _("Partner added."))
        else:
            body = {k: request.form.get(k, "").strip() for k in ("code", "name", "opens_at", "closes_at", "seats")}
            body["opens_at"] = (body["opens_at"] + ":00Z") if body["opens_at"] else ""
            body["closes_at"] = (body["closes_at"] + ":00Z") if body["closes_at"] else ""
            body["partner_ids"] = request.form.getlist("partner_ids")
            _flash_reply(services.request("POST", "programs", json_body=body), _("Program created."))
        return redirect(url_for("web_admin.programs"))
    return render_template("admin/programs.html", programs=services.get("programs").data or [],
                           partners=services.get("partners").data or [])


@bp.route("/chains", methods=["GET", "POST"])
@roles_required("admin")
def chains() -> Any:
    if request.method == "POST":
        kind = request.form.get("kind", "")
        try:
            levels = json.loads(request.form.get("levels", ""))
        except ValueError:
            flash(_("The levels are not valid JSON."), "error")
            return redirect(url_for("web_admin.chains"))
        reply = services.request("PUT", f"review-chains/{kind}", json_body={"levels": levels})
        _flash_reply(reply, _("A new version of the chain is in force."))
        return redirect(url_for("web_admin.chains"))
    chains = services.get("review-chains").data or []
    return render_template("admin/chains.html", chains=chains, dumps=lambda v: json.dumps(v, ensure_ascii=False,
                                                                                           indent=2))


@bp.route("/users", methods=["GET", "POST"])
@roles_required("admin")
def users() -> Any:
    if request.method == "POST":
        form = request.form
        username = form.get("username", "").strip()
        try:
            with _db() as db, db.begin():
                if form.get("what") == "school":
                    if not form.get("code", "").strip():
                        raise identity.InvalidAccount({"code": [_("Required.")]})
                    identity.add_school(db, form["code"].strip(), form.get("name_en", "").strip(),
                                        form.get("name_zh", "").strip())
                    flash(_("School saved."), "success")
                    return redirect(url_for("web_admin.users"))
                user = db.get(User, username)
                roles = identity.parse_roles(form.get("roles", "").split(","))
                school = form.get("school", "").strip() or None
                if school is not None and db.get(School, school) is None:
                    raise identity.InvalidAccount({"school": [_("Unknown school.")]})
                if form.get("what") == "create":
                    if user is not None:
                        raise identity.InvalidAccount({"username": [_("This username is taken.")]})
                    if not username or not form.get("password") or not form.get("email"):
                        raise identity.InvalidAccount({"user": [_("Username, e-mail and password are required.")]})
                    user = identity.register(db, username=username, password=form["password"], email=form["email"],
                                             locale=form.get("locale", "zh"), display_name=form.get("name", ""),
                                             school=school, roles=identity.check_roles(db, roles),
                                             wecom_id=form.get("wecom_id", "").strip() or None)
                    flash(_("Account created."), "success")
                elif user is None:
                    raise NotFound()
                else:
                    changes: dict[str, Any] = {"roles": roles, "school": school}
                    if "wecom_id" in form:  # empty clears it: no WeCom messages for this person
                        changes["wecom_id"] = form["wecom_id"].strip() or None
                    if form.get("unlock"):
                        identity.unlock(user)
                    identity.update(db, user, password=form.get("password") or None, **changes)
                    if form.get("password"):
                        end_all(db, username)  # a new password signs the old sessions out
                    flash(_("Account updated."), "success")
        except identity.InvalidAccount as exc:
            flash(str(exc), "error")
        return redirect(url_for("web_admin.users"))
    with _db() as db:
        users = list(db.query(User).order_by(User.username))
        schools = list(db.query(School).order_by(School.code))
        return render_template("admin/users.html", users=users, schools=schools, roles=identity.ROLES)


@bp.route("/clients", methods=["GET", "POST"])
@roles_required("admin")
def clients() -> Any:
    secret = None
    if request.method == "POST":
        client_id = request.form.get("client_id", "").strip()
        try:
            if not client_id:
                raise identity.InvalidAccount({"client_id": [_("Required.")]})
            with _db() as db, db.begin():
                if request.form.get("disable"):
                    identity.disable_client(db, client_id)
                    flash(_("Client disabled: it gets no new tokens."), "success")
                else:
                    _client, secret = identity.register_client(db, client_id, request.form.get("name", client_id),
                                                               request.form.getlist("scopes"))
                    flash(_("Client registered. Copy the secret now: it is shown only once."), "success")
        except identity.InvalidAccount as exc:
            flash(str(exc), "error")
    with _db() as db:
        clients = list(db.query(Client).order_by(Client.client_id))
        return render_template("admin/clients.html", clients=clients, scopes=identity.CLIENT_SCOPES,
                               secret=secret), 200


@bp.route("/subscriptions", methods=["GET", "POST"])
@roles_required("admin")
def subscriptions() -> Any:
    if request.method == "POST":
        if request.form.get("delete"):
            reply = services.request("DELETE", f"subscriptions/{request.form['delete']}")
            _flash_reply(reply, _("Subscription removed."))
        else:
            patterns = [p.strip() for p in request.form.get("patterns", "").split(",") if p.strip()]
            reply = services.request("POST", "subscriptions", json_body={
                "url": request.form.get("url", "").strip(), "patterns": patterns})
            _flash_reply(reply, _("Subscription added."))
        return redirect(url_for("web_admin.subscriptions"))
    return render_template("admin/subscriptions.html", subscriptions=services.get("subscriptions").data or [])


@bp.route("/dlq", methods=["GET", "POST"])
@roles_required("admin")
def dlq() -> Any:
    from eventbus import dlq as parking
    from eventbus.broker import connect

    settings = current_app.extensions["gateway"].settings
    queues = consuming_queues()
    if request.method == "POST":
        queue = request.form.get("queue", "")
        if queue not in queues:
            raise NotFound()
        with connect(settings.broker_url) as connection:
            moved = parking.replay(connection, queue, request.form.get("message_id") or None)
        flash(_("Replayed %(n)d message(s).", n=moved), "success")
        return redirect(url_for("web_admin.dlq"))
    parked: dict[str, list[dict[str, Any]]] = {}
    with connect(settings.broker_url) as connection:
        for queue in queues:
            parked[queue] = [p.summary() for p in parking.list_parked(connection, queue, limit=200)]
    return render_template("admin/dlq.html", parked=parked)


