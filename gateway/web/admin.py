"""Admin pages: programs and partners, review chains, users, roles and schools, API clients, webhook
subscriptions, and parked (DLQ) messages with replay.

Programs, chains and subscriptions belong to the services and go through their APIs (the services check the
admin's rights again); accounts, schools and clients are the gateway's own; parked messages are the broker's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from werkzeug.exceptions import BadRequest, NotFound

from chassis.owners import consuming_queues
from gateway import identity
from gateway.models import Client, School, User
from gateway.web import chain_editor, kinds, role_words, services
from gateway.web.i18n import zone_name
from gateway.web.security import csrf
from gateway.web.sessions import end_all, roles_required
from gateway.web.widgets import page_language

bp = Blueprint("web_admin", __name__, url_prefix="/admin")
bp.before_request(csrf.protect)
MANAGERS = ("admin", "icd_officer")
_ID = re.compile(r"[0-9a-f-]{36}")
_REGIONS = {"europe": _l("Europe"), "asean": _l("ASEAN"), "belt_and_road": _l("Belt and Road"),
            "americas": _l("Americas"), "other": _l("Other")}
_KIND = re.compile(r"[a-z][a-z0-9_]{1,39}")  # a kind's name, as the event catalog writes it


def _an_id(value: str | None) -> str:
    """A posted id, checked before it becomes part of a service path."""
    if not _ID.fullmatch(value or ""):
        raise BadRequest("Not a valid id.")
    return str(value)


def _db() -> Any:
    return current_app.extensions["gateway"].sessions()


def _flash_reply(reply: services.Reply, done: str, labels: dict[str, Any] | None = None) -> None:
    """The service's answer as a message; its field errors named by the form's labels, never by key."""
    if reply.ok:
        flash(done, "success")
        return
    flash(" ".join([reply.explain(_("Refused.")), _named(reply.field_errors(), labels or {})]), "error")


def _named(errors: dict[str, list[str]], labels: dict[str, Any]) -> str:
    """Field errors as "Label: message" lines, by the form's labels (a key without one stays as it came)."""
    return " ".join(_("%(field)s: %(error)s", field=labels.get(key.split(".")[0], key),
                      error="; ".join(services.translated(m) for m in messages)) for key, messages in errors.items())


_PROGRAM_LABELS = {"code": _l("Code"), "name": _l("Name"), "seats": _l("Seats"), "opens_at": _l("Opens"),
                   "closes_at": _l("Closes"), "partner_ids": _l("Partners")}
_PARTNER_LABELS = {"name": _l("Name"), "country": _l("Country (two-letter code)"), "region": _l("Region")}


def _utc(value: str) -> str:
    """A datetime-local field's value (minutes, in the office's time zone) as the API's UTC timestamp; empty or
    unreadable stays as typed (the service refuses it, named by its label)."""
    try:
        local = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(str(get_timezone())))  # not pytz's LMT
    except ValueError:
        return value
    return local.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _local_minutes(iso: str | None) -> str:
    """The API's UTC timestamp as a datetime-local field's value in the office's time zone."""
    if not iso:
        return ""
    return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).astimezone(get_timezone()).strftime("%Y-%m-%dT%H:%M")


def _program_body(form: Any, *names: str) -> dict[str, Any]:
    body: dict[str, Any] = {k: form.get(k, "").strip() for k in names}
    for when in ("opens_at", "closes_at"):
        body[when] = _utc(body[when])
    body["partner_ids"] = form.getlist("partner_ids")
    return body


@bp.get("")
@roles_required(*MANAGERS)
def index() -> str:
    return render_template("admin/index.html")


@bp.route("/programs", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def programs() -> Any:
    if request.method == "POST":
        form, what = request.form, request.form.get("what")
        if what == "partner":
            body = {k: form.get(k, "").strip() for k in ("name", "country", "region")}
            _flash_reply(services.request("POST", "partners", json_body=body), _("Partner added."), _PARTNER_LABELS)
        elif what == "edit-partner":
            body = {k: form.get(k, "").strip() for k in ("name", "country", "region")}
            _flash_reply(services.request("PATCH", f"partners/{_an_id(form.get('id'))}", json_body=body),
                         _("Partner saved."), _PARTNER_LABELS)
        elif what == "edit-program":
            body = _program_body(form, "name", "seats", "opens_at", "closes_at")
            _flash_reply(services.request("PATCH", f"programs/{_an_id(form.get('id'))}", json_body=body),
                         _("Program saved."), _PROGRAM_LABELS)
        else:
            body = _program_body(form, "code", "name", "seats", "opens_at", "closes_at")
            _flash_reply(services.request("POST", "programs", json_body=body), _("Program created."),
                         _PROGRAM_LABELS)
        return redirect(url_for("web_admin.programs"))
    return render_template("admin/programs.html", programs=services.get("programs").data or [],
                           partners=services.get("partners").data or [], regions=_REGIONS,
                           minutes=_local_minutes, zone=zone_name(datetime.now(UTC)))


def _conditions() -> dict[str, dict[str, Any]]:
    """The reviews service's level conditions by name (labels in en/zh, threshold schema)."""
    return {c["name"]: c for c in services.get("review-conditions").data or []}


@bp.get("/chains")
@roles_required("admin")
def chains() -> Any:
    registry, language = _conditions(), page_language()
    current = {c["kind"]: c for c in services.get("review-chains").data or []}
    names = [*kinds.labels(), *(k for k in current if k not in kinds.labels())]
    listing = [(name, current.get(name), chain_editor.preview(
        chain_editor.from_levels(current[name]["levels"]) if name in current else [], registry, language))
        for name in names]
    return render_template("admin/chains.html", listing=listing)


@bp.route("/chains/<kind>", methods=["GET", "POST"])
@roles_required("admin")
def chain(kind: str) -> Any:
    """One kind's chain as rows; the row buttons re-render the page, "save" makes a new version."""
    if not _KIND.fullmatch(kind):
        raise NotFound()
    registry, general, status = _conditions(), [], 200
    stored = services.get(f"review-chains/{kind}")
    if request.method == "GET":
        rows = chain_editor.from_levels(stored.data["levels"] if stored.ok else [])
    else:
        rows, action = chain_editor.from_form(request.form), request.form.get("action", "preview")
        if action == "save":
            levels = chain_editor.to_levels(rows, registry)
            if levels is not None:
                reply = services.request("PUT", f"review-chains/{kind}", json_body={"levels": levels})
                if reply.ok:
                    flash(_("A new version of the chain is in force."), "success")
                    return redirect(url_for("web_admin.chains"))
                errors = reply.field_errors()
                general = chain_editor.place_errors(rows, errors) if errors else [reply.explain(_("Refused."))]
            status = 422
        else:
            rows = chain_editor.act(rows, action)
    return render_template(
        "admin/chain.html", kind=kind, version=stored.data.get("version") if stored.ok else None,
        rows=chain_editor.with_blank(rows), registry=registry, language=page_language(),
        preview=chain_editor.preview(rows, registry, page_language()), general=general,
        summary=chain_editor.summary(rows), roles=role_words.REVIEW_ROLES, role_name=role_words.role,
        scopes=role_words.SCOPE_NAMES, condition_label=chain_editor.condition_label, slots=chain_editor.SLOTS,
        types=chain_editor.TYPES), status


_ACCOUNT_LABELS = {"roles": _l("Roles"), "school": _l("School"), "username": _l("Username"), "user": _l("Account"),
                   "code": _l("Code"), "wecom_id": _l("WeCom user ID"), "email": _l("E-mail"),
                   "password": _l("Password"), "locale": _l("Language")}
PAGE_SIZE = 50


def _chosen_roles(form: Any, school: str | None) -> list[dict[str, Any]]:
    """The roles ticked (each `role` or `role@school`, as held) plus the one chosen to add; a school role added
    without a school takes the account's. A typed `role@school, …` list is read the same way."""
    roles = identity.parse_roles([part for value in form.getlist("roles") for part in value.split(",")])
    added = form.get("add_role", "").strip()
    if added:
        scoped = identity.ROLES.get(added, False)
        entry = {"role": added, "school": (form.get("add_school", "").strip() or school) if scoped else None}
        if entry not in roles:
            roles.append(entry)
    return roles


def _roles_in_words(db: Any, roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The account rules' role check (gateway/identity.py), each refused role said in the page's language."""
    errors = []
    for entry in roles:
        try:
            identity.check_roles(db, [entry])
        except identity.InvalidAccount:
            role = entry["role"]
            errors.append(_("There is no role %(role)s.", role=role) if role not in identity.ROLES else
                          _("%(role)s is a school role: choose the school.", role=role_words.role(role))
                          if identity.ROLES[role] else
                          _("%(role)s is university-wide and takes no school.", role=role_words.role(role)))
    if errors:
        raise identity.InvalidAccount({"roles": errors})
    return roles


def _users_page(db: Any, query: str, page: int) -> tuple[list[User], int]:
    """One page of the accounts matching `query` in username, name, school code or school name, and how many
    match."""
    found = select(User)
    if query:
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        schools = select(School.code).where(or_(func.lower(School.name_en).like(like, escape="\\"),
                                                School.name_zh.like(like, escape="\\")))
        found = found.where(or_(func.lower(User.username).like(like, escape="\\"),
                                func.lower(User.display_name).like(like, escape="\\"),
                                func.lower(User.school).like(like, escape="\\"), User.school.in_(schools)))
    total = db.scalar(select(func.count()).select_from(found.subquery())) or 0
    rows = list(db.scalars(found.order_by(User.username).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return rows, int(total)


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
                school = form.get("school", "").strip() or None
                roles = _roles_in_words(db, _chosen_roles(form, school))
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
            flash(_named(exc.errors, _ACCOUNT_LABELS), "error")
        return redirect(url_for("web_admin.users", q=form.get("q") or None, page=form.get("page") or None))
    query = request.args.get("q", "").strip()[:80]
    page = request.args.get("page", "1")
    page_number = max(int(page), 1) if page.isdigit() else 1
    with _db() as db:
        users, total = _users_page(db, query, page_number)
        schools = list(db.query(School).order_by(School.code))
        return render_template("admin/users.html", users=users, schools=schools, roles=identity.ROLES,
                               role_name=role_words.role, query=query, page=page_number, total=total,
                               pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))


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
    from eventbus.broker import open_connection

    settings = current_app.extensions["gateway"].settings
    queues = consuming_queues()
    if request.method == "POST":
        queue = request.form.get("queue", "")
        if queue not in queues:
            raise NotFound()
        with open_connection(settings.broker_url) as connection:
            moved = parking.replay(connection, queue, request.form.get("message_id") or None)
        flash(_("Replayed %(n)d message(s).", n=moved), "success")
        return redirect(url_for("web_admin.dlq"))
    parked: dict[str, list[dict[str, Any]]] = {}
    with open_connection(settings.broker_url) as connection:
        for queue in queues:
            parked[queue] = [p.summary() for p in parking.list_parked(connection, queue, limit=200)]
    return render_template("admin/dlq.html", parked=parked)


