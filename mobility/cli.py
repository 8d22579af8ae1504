"""The `mobility` command: run the embedded system, serve or work one service, and operate the bus."""

from __future__ import annotations

import dataclasses
import json
import os
import runpy
import sys
from pathlib import Path

import click

from chassis import logging as chassis_logging
from chassis.db import make_engine, make_sessionmaker
from chassis.owners import consuming_queues
from chassis.settings import SMTP_CATCH, Settings
from mobility import registry

OWNER = click.Choice(list(registry.OWNERS))
GUNICORN_CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"
ASYNCAPI_FILE = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.yaml"


class _Commands(click.Group):
    """The account commands are loaded only when one of them runs: every API and worker process starts
    through this CLI, and importing the gateway's identity and web modules cost each of them megabytes."""

    LAZY = ("users", "schools", "clients", "calendar", "programs")

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            if name == "calendar":
                from mobility import calendar_cli

                return calendar_cli.calendar
            if name == "programs":
                from mobility import programs_cli

                return programs_cli.programs
            from mobility import accounts_cli

            return getattr(accounts_cli, name)  # type: ignore[no-any-return]
        return super().get_command(ctx, name)


@click.group(cls=_Commands)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Mobility: international mobility for universities."""
    settings = Settings.from_env()
    chassis_logging.configure(settings.log_level)
    ctx.obj = settings


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not create the demo accounts, partners and programs.")
@click.option("--empty", is_flag=True, help="The demo accounts, partners and programs without last year's "
              "applications.")
@click.pass_obj
def run(settings: Settings, host: str, port: int, no_demo: bool, empty: bool) -> None:
    """Everything in one process: SQLite under ./var, in-memory bus, demo accounts, partners, programs and last
    academic year's decided applications. Mail is caught, not sent (the admins' Mail sent page), unless
    MOBILITY_SMTP_HOST is set."""
    from mobility.embedded import Embedded

    if not os.environ.get("MOBILITY_SMTP_HOST"):
        settings = dataclasses.replace(settings, smtp_host=SMTP_CATCH)
    chassis_logging.configure(settings.log_level, service="embedded")
    system = Embedded(settings).start(seed_demo=not no_demo, history=not (no_demo or empty))
    click.echo(f"Mobility is running on http://{host}:{port}  (demo accounts: password 'demo'; Ctrl-C stops)")
    system.serve(host, port)


@main.command()
@click.argument("owner", type=OWNER)
@click.option("--bind", default=None, help="host:port (default: MOBILITY_BIND or the owner's usual port)")
@click.pass_obj
def serve(settings: Settings, owner: str, bind: str | None) -> None:
    """Serve one service's HTTP API (or the gateway) under gunicorn."""
    from gunicorn.app.base import BaseApplication

    from chassis.settings import DEFAULT_PORTS

    class App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            if owner == "gateway":  # once, in the master, before workers fork
                from chassis import tokens

                assert settings.jwt_private_key_file and settings.jwt_public_key_file
                tokens.ensure_keypair(settings.jwt_private_key_file, settings.jwt_public_key_file)
            conf = runpy.run_path(str(GUNICORN_CONF))
            for key, value in conf.items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)
            self.cfg.set("bind", bind or conf.get("bind") or f"127.0.0.1:{DEFAULT_PORTS[owner]}")
            self.cfg.set("proc_name", f"mobility-{owner}")

        def load(self):  # type: ignore[no-untyped-def]
            chassis_logging.configure(settings.log_level, service=owner)
            return registry.create_app(owner, settings)

    _share_metrics_between_workers(owner)
    App().run()


def _share_metrics_between_workers(owner: str) -> None:
    """gunicorn's workers are processes: their counters meet in a fresh directory (prometheus multiprocess
    mode), so /metrics answers the same whichever worker serves it."""
    import os
    import tempfile

    from prometheus_client import values

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"mobility-{owner}-metrics-")
    values.ValueClass = values.get_value_class()  # in case prometheus_client was imported before


@main.command()
@click.argument("owner", type=OWNER)
@click.pass_obj
def worker(settings: Settings, owner: str) -> None:
    """Run one service's consumer, outbox relay and other background work until SIGTERM."""
    from chassis.worker import run_forever

    chassis_logging.configure(settings.log_level, service=owner)
    engine = make_engine(settings.database_url(owner))
    if settings.metrics_port:
        from chassis import metrics

        metrics.serve(settings.metrics_port, metrics.figures(owner, settings.broker_url, engine))
    run_forever(registry.worker_components(owner, settings, engine), owner)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="where the gateway listens")
@click.option("--port", default=8000, show_default=True, type=int, help="the gateway's port")
@click.option("--metrics-port", default=9100, show_default=True, type=int,
              help="first of the workers' /metrics ports (gateway, applications, reviews, notifications); 0: none")
@click.option("--demo", is_flag=True, help="also create the demo accounts, partners and programs")
@click.pass_obj
def up(settings: Settings, host: str, port: int, metrics_port: int, demo: bool) -> None:
    """The distributed topology on this machine: migrations, then every API (gunicorn) and worker as its own
    process, on RabbitMQ and PostgreSQL from the environment. Ctrl-C stops them all cleanly."""
    from mobility import up as local

    chassis_logging.configure(settings.log_level, service="up")
    sys.exit(local.run(settings, host, port, metrics_port, demo))


@main.command("migrate")
@click.argument("owners", nargs=-1, type=OWNER)
@click.pass_obj
def migrate_cmd(settings: Settings, owners: tuple[str, ...]) -> None:
    """Bring the databases up to date (all owners when none is named)."""
    from mobility import migrations

    for owner in owners or registry.OWNERS:
        seeded = migrations.upgrade(settings, [owner])
        click.echo(f"{owner}: migrated" + (f"; default review chains for {', '.join(seeded)}" if seeded else ""))


@main.command("backfill-statistics")
@click.pass_obj
def backfill_statistics(settings: Settings) -> None:
    """Fill the statistics read model from the applications submitted before it existed (once, after the
    upgrade that adds it; safe to repeat: rows the events keep up to date are left alone)."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    from services.applications import reporting

    engine = make_engine(settings.database_url("applications"))
    if not inspect(engine).has_table("stats_mobilities") or not inspect(engine).has_table("applications"):
        engine.dispose()
        raise click.ClickException(
            f"{engine.url.render_as_string(hide_password=True)} holds no applications with statistics tables: "
            "run `mobility migrate applications` first, and check MOBILITY_APPLICATIONS_DATABASE_URL (or "
            "MOBILITY_VAR_DIR, which is relative to where you run the command).")
    with Session(engine) as session, session.begin():
        seen = reporting.backfill(session)
    engine.dispose()
    click.echo(f"statistics: {seen} submitted applications looked at")


@main.command("declare")
@click.pass_obj
def declare(settings: Settings) -> None:
    """Declare the exchange and every service's queues on the broker (idempotent; run before first start)."""
    from eventbus.broker import open_connection

    with open_connection(settings.broker_url, rounds=3) as connection:
        registry.declare_topology(connection, settings)
    click.echo("declared mobility.events and " + ", ".join(consuming_queues()))


@main.command("asyncapi")
@click.option("--check", is_flag=True, help="write nothing; fail when the file is not what the catalog makes")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=ASYNCAPI_FILE,
              show_default=True)
def asyncapi_cmd(check: bool, output: Path) -> None:
    """Write the AsyncAPI document (docs/asyncapi.yaml) from the event catalog, eventbus/schemas."""
    from eventbus import asyncapi

    text = asyncapi.render()
    if check:
        if not output.is_file() or output.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{output} is not what the event catalog makes: run `mobility asyncapi`")
        click.echo(f"{output} is current")
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


@main.command()
@click.option("--rotate", is_flag=True, help="a new signing key; the public key file keeps the old one too")
@click.option("--retire", is_flag=True, help="drop every public key but the current one (after a rotation, "
              "once MOBILITY_ACCESS_TOKEN_TTL has passed)")
@click.pass_obj
def keys(settings: Settings, rotate: bool, retire: bool) -> None:
    """Create the gateway's Ed25519 signing key pair if it does not exist; rotate or retire keys."""
    from chassis import tokens

    private, public = settings.jwt_private_key_file, settings.jwt_public_key_file
    assert private and public
    if rotate and retire:
        raise click.UsageError("--rotate and --retire are two steps, an hour or more apart")
    if rotate:
        tokens.rotate_keypair(private, public)
    elif retire:
        tokens.retire_old_keys(private, public)
    else:
        tokens.ensure_keypair(private, public)
    click.echo(f"private key: {private}\npublic key(s): {public} ({len(tokens.Verifier(public, '').keys())})")


@main.command("seed-demo")
@click.option("--empty", is_flag=True, help="Only the accounts, partners and programs: no past year of applications.")
@click.option("--alone", is_flag=True, help="No other Mobility process runs on these databases and broker (as when "
              "`mobility up` seeds before it starts them): the past year may be played on a real broker.")
@click.pass_obj
def seed_demo(settings: Settings, empty: bool, alone: bool) -> None:
    """Create the demo accounts (password 'demo'), partners and programs that do not exist yet, and last academic
    year's decided applications (once), played through the system started in this process for the purpose."""
    from gateway import demo
    from services.applications import demo as programs_demo

    with make_sessionmaker(make_engine(settings.database_url("gateway")))() as session, session.begin():
        created = demo.seed(session)
    with make_sessionmaker(make_engine(settings.database_url("applications")))() as session, session.begin():
        programs = programs_demo.seed(session)
    click.echo(f"demo accounts created: {created}; demo partners and programs created: {programs}")
    if not empty and not _reaches_every_database(settings):
        click.echo("last academic year's applications: left out (they are played through every service: give "
                   "seed-demo every MOBILITY_<OWNER>_DATABASE_URL and the broker, or run it with --empty)")
    elif not empty and not (alone or settings.broker_url.startswith("memory://")):
        # The history is played with this process's clock set back a year: workers of a running system on the
        # same broker would take real events in that past. Only `mobility up`, before it starts anything, says so.
        click.echo("last academic year's applications: left out (a running system would share the broker; "
                   "`mobility up --demo` plays them before it starts its processes)")
    elif not empty:
        from mobility import demo_history
        from mobility.embedded import Embedded

        # Its mail is caught, never sent: the demo people's addresses are made up.
        system = Embedded(dataclasses.replace(settings, smtp_host=SMTP_CATCH)).start(seed_demo=False)
        try:
            filed = demo_history.record(system.gateway, settings.timezone)
        finally:
            system.stop()
        click.echo(f"last academic year's applications filed: {filed}")


def _reaches_every_database(settings: Settings) -> bool:
    """The embedded system's files under MOBILITY_VAR_DIR, or a database URL named for every owner: never some
    services on the real databases and the rest on stray SQLite files (a job given only some URLs)."""
    if settings.broker_url.startswith("memory://"):
        return True
    return all(os.environ.get(f"MOBILITY_{owner.upper()}_DATABASE_URL") for owner in registry.OWNERS)


@main.group()
def dlq() -> None:
    """Parked messages of a queue (`<queue>.dlq`)."""


@dlq.command("list")
@click.argument("queue")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def dlq_list(settings: Settings, queue: str, as_json: bool) -> None:
    """List parked messages of QUEUE (e.g. reviews.events) with their reason."""
    from eventbus import dlq as parking
    from eventbus.broker import open_connection

    with open_connection(settings.broker_url) as connection:
        parked = parking.list_parked(connection, queue)
    for p in parked:
        s = p.summary()
        if as_json:
            click.echo(json.dumps(s, ensure_ascii=False))
        else:
            kind = s["event_type"] or "(undecodable)"
            click.echo(f"{s['message_id']}  {kind}  attempts={s['attempts']}  {s['error']}")
    click.echo(f"{len(parked)} parked in {queue.removesuffix('.dlq')}.dlq", err=True)


@dlq.command("replay")
@click.argument("queue")
@click.option("--id", "message_id", default=None, help="Replay only this message id.")
@click.pass_obj
def dlq_replay(settings: Settings, queue: str, message_id: str | None) -> None:
    """Move parked messages of QUEUE back to it, attempts reset."""
    from eventbus import dlq as parking
    from eventbus.broker import open_connection

    with open_connection(settings.broker_url) as connection:
        moved = parking.replay(connection, queue, message_id)
    click.echo(f"replayed {moved} message(s) to {queue.removesuffix('.dlq')}")


@main.group()
def passports() -> None:
    """The passports' keyring (MOBILITY_PASSPORT_KEYS_FILE): a new key, then every number sealed again under it."""


@passports.command("new-key")
@click.pass_obj
def passports_new_key(settings: Settings) -> None:
    """Put a fresh key first in the keyring: new numbers are sealed with it; older ones still read with theirs
    until `mobility passports rotate`."""
    from services.passports import crypto

    crypto.load(settings.passport_keys_file)  # a keyring that did not exist keeps the key it is created with
    key_id = crypto.add_key(settings.passport_keys_file)
    count = len(crypto.load(settings.passport_keys_file).keys)
    click.echo(f"new current key {key_id} in {settings.passport_keys_file} ({count} key(s)); "
               "now run `mobility passports rotate`")


@passports.command("rotate")
@click.option("--batch", default=200, show_default=True, type=click.IntRange(1, 10000), help="rows per transaction")
@click.pass_obj
def passports_rotate(settings: Settings, batch: int) -> None:
    """Seal every number still under an older key with the current one. Exits 3 when a row's key is missing
    (those rows are listed: put their key's line back before removing anything)."""
    from services.passports import crypto, rotation

    ring = crypto.load(settings.passport_keys_file)
    engine = make_engine(settings.database_url("passports"))
    try:
        done = rotation.rotate(make_sessionmaker(engine), ring, batch=batch)
    finally:
        engine.dispose()
    click.echo(f"current key {done.key}: {done.rotated} re-encrypted, {done.current} under the current key, "
               f"{len(done.unreadable)} unreadable")
    for passport_id, key_id in done.unreadable:
        click.echo(f"unreadable: passport {passport_id} is under key {key_id!r}, which the keyring does not have "
                   "(or which does not open it)", err=True)
    if not done.complete:
        sys.exit(3)
    others = [k for k in ring.keys if k != ring.current]
    if others:
        click.echo(f"every number is under {done.key}: the keyring's other line(s) ({', '.join(others)}) may be "
                   "removed")


@main.group()
def outbox() -> None:
    """The outbox of each database."""


@outbox.command("status")
@click.argument("owners", nargs=-1, type=OWNER)
@click.pass_obj
def outbox_status(settings: Settings, owners: tuple[str, ...]) -> None:
    """Pending and sent events, oldest pending age, and events stuck with an error."""
    from eventbus import outbox as box

    report = {}
    for owner in owners or registry.OWNERS:
        engine = make_engine(settings.database_url(owner))
        with make_sessionmaker(engine)() as session:
            report[owner] = box.status(session)
        engine.dispose()
    click.echo(json.dumps(report, indent=2, default=str, ensure_ascii=False))
    if any(r["stuck"] for r in report.values()):
        sys.exit(3)


