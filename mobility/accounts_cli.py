"""`mobility users|schools|clients`: manage accounts, roles, schools and API clients from the shell.

The same functions as the admin pages (gateway/identity.py), so the rules and the `user.registered`
announcements are the same whichever way an account changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.db import make_engine, make_sessionmaker
from chassis.settings import Settings
from gateway import identity
from gateway.models import Client, School, User
from gateway.web.sessions import end_all


@contextmanager
def _db(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url("gateway"))
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            yield session
    except identity.InvalidAccount as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()


ROLE_HELP = "role@school for a school role (student@cs), or a university-wide role alone (icd_officer); repeatable"


@click.group()
def users() -> None:
    """Accounts and their roles."""


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def users_list(settings: Settings, as_json: bool) -> None:
    with _db(settings) as db:
        for user in db.scalars(select(User).order_by(User.username)):
            roles = [r["role"] + (f"@{r['school']}" if r.get("school") else "") for r in user.roles]
            row = {"username": user.username, "name": user.display_name, "email": user.email,
                   "wecom_id": user.wecom_id, "school": user.school, "locale": user.locale, "roles": roles,
                   "locked_until": user.locked_until.isoformat() if user.locked_until else None}
            click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                       f"{user.username:20} {user.school or '-':6} {' '.join(roles)}"
                       + (" (locked)" if user.locked_until else ""))


WECOM_HELP = "the person's WeCom (企业微信) userid, for WeCom notifications"


@users.command("add")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--wecom-id", default=None, help=WECOM_HELP)
@click.option("--name", "display_name", default="")
@click.option("--school", default=None, help="the school code the person belongs to")
@click.option("--role", "roles", multiple=True, help=ROLE_HELP)
@click.option("--locale", type=click.Choice(identity.LOCALES), default="zh", show_default=True)
@click.password_option(help="asked for when not given (or set MOBILITY_NEW_PASSWORD)", envvar="MOBILITY_NEW_PASSWORD")
@click.pass_obj
def users_add(settings: Settings, username: str, email: str, wecom_id: str | None, display_name: str,
              school: str | None, roles: tuple[str, ...], locale: str, password: str) -> None:
    """Create an account."""
    with _db(settings) as db:
        if db.get(User, username) is not None:
            raise click.ClickException(f"{username} exists already; use `mobility users set`.")
        if school is not None and db.get(School, school) is None:
            raise click.ClickException(f"unknown school {school!r}; add it with `mobility schools add`.")
        identity.register(db, username=username, password=password, email=email, locale=locale, school=school,
                          roles=identity.check_roles(db, identity.parse_roles(roles)), display_name=display_name,
                          wecom_id=wecom_id)
    click.echo(f"created {username}")


@users.command("set")
@click.argument("username")
@click.option("--role", "roles", multiple=True, help=f"replaces all roles: {ROLE_HELP}")
@click.option("--school", default=None)
@click.option("--email", default=None)
@click.option("--wecom-id", default=None, help=f"{WECOM_HELP}; \"\" removes it")
@click.option("--name", "display_name", default=None)
@click.option("--locale", type=click.Choice(identity.LOCALES), default=None)
@click.option("--password", is_flag=True, help="ask for a new password (signs the person out everywhere)")
@click.option("--unlock", is_flag=True, help="lift a lockout after failed logins")
@click.pass_obj
def users_set(settings: Settings, username: str, roles: tuple[str, ...], password: bool, unlock: bool,
              **fields: str | None) -> None:
    """Change an account's roles, school, e-mail, WeCom id, name or language; reset its password; unlock it."""
    new_password = click.prompt("New password", hide_input=True, confirmation_prompt=True) if password else None
    with _db(settings) as db:
        user = db.get(User, username)
        if user is None:
            raise click.ClickException(f"no account {username!r}")
        changes = {k: v for k, v in fields.items() if v is not None}
        if roles:
            changes["roles"] = identity.parse_roles(roles)  # type: ignore[assignment]
        if unlock:
            identity.unlock(user)
        identity.update(db, user, password=new_password, **changes)
        if new_password:
            end_all(db, username)
    click.echo(f"updated {username}")


@click.group()
def schools() -> None:
    """The schools (org units) that roles are scoped to."""


@schools.command("list")
@click.pass_obj
def schools_list(settings: Settings) -> None:
    with _db(settings) as db:
        for school in db.scalars(select(School).order_by(School.code)):
            click.echo(f"{school.code:10} {school.name_zh}  {school.name_en}")


@schools.command("add")
@click.argument("code")
@click.option("--en", "name_en", required=True, help="English name")
@click.option("--zh", "name_zh", required=True, help="Chinese name")
@click.pass_obj
def schools_add(settings: Settings, code: str, name_en: str, name_zh: str) -> None:
    """Add a school, or rename one."""
    with _db(settings) as db:
        identity.add_school(db, code, name_en, name_zh)
    click.echo(f"saved {code}")


@click.group()
def clients() -> None:
    """External systems that get tokens by the OAuth2 client_credentials grant."""


@clients.command("list")
@click.pass_obj
def clients_list(settings: Settings) -> None:
    with _db(settings) as db:
        for client in db.scalars(select(Client).order_by(Client.client_id)):
            click.echo(f"{client.client_id:20} {' '.join(client.scopes):40} {client.name}")


@clients.command("add")
@click.argument("client_id")
@click.option("--name", default=None)
@click.option("--scope", "scopes", multiple=True, type=click.Choice(sorted(identity.CLIENT_SCOPES)), required=True)
@click.pass_obj
def clients_add(settings: Settings, client_id: str, name: str | None, scopes: tuple[str, ...]) -> None:
    """Register a client (or give an existing one a new secret). The secret is printed once."""
    with _db(settings) as db:
        _client, secret = identity.register_client(db, client_id, name or client_id, list(scopes))
    click.echo(f"client_id={client_id}\nclient_secret={secret}")


@clients.command("disable")
@click.argument("client_id")
@click.pass_obj
def clients_disable(settings: Settings, client_id: str) -> None:
    """Stop issuing tokens to a client (`clients add` again gives it a new secret and enables it)."""
    with _db(settings) as db:
        identity.disable_client(db, client_id)
    click.echo(f"disabled {client_id}")
