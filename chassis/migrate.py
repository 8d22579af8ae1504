"""Alembic, run programmatically: each owner (gateway and every service) has its own migrations/ folder."""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from chassis.db import make_engine
from chassis.owners import OWNERS


def config(owner: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(OWNERS[owner].migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(owner: str, url: str) -> None:
    make_engine(url).dispose()  # creates the SQLite folder if needed
    command.upgrade(config(owner, url), "head")


def run_env(metadata: list[MetaData]) -> None:
    """Body of every migrations/env.py: online migrations against the configured URL."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
