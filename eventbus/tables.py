"""The bus's own tables, created in every service's database by that service's migrations."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from eventbus.columns import UTCDateTime

metadata = MetaData()

# id orders the rows: the relay publishes in that order. BigInteger autoincrements on PostgreSQL;
# SQLite needs INTEGER for its rowid alias, hence the variant.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(120), nullable=False),
    Column("subject", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
)

inbox = Table(
    "inbox",
    metadata,
    Column("consumer", String(80), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(120), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
)
