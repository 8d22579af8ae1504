"""The test suite's pool of PostgreSQL database sets (tests/support/pg_pool.py): a set given back and taken again
must look like a freshly created database to the next test, whatever the last one left in it — its own pool
here, so the suite's shared one is not disturbed."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from chassis.migrate import upgrade
from chassis.settings import DATABASE_OWNERS
from tests.conftest import POSTGRES, need
from tests.support.pg_pool import DatabasePool

# What a test can leave behind, counted outside the system schemas
CATALOG = """select
 (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where nspname not like 'pg\\_%' and nspname <> 'information_schema'),
 (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where nspname not like 'pg\\_%' and nspname <> 'information_schema'),
 (select array_agg(nspname || ':' || nspowner::regrole::text || ':' || coalesce(nspacl::text, '') order by nspname)
   from pg_namespace where nspname not like 'pg\\_%'),
 (select count(*) from pg_extension), (select count(*) from pg_largeobject_metadata), (select count(*) from pg_trigger),
 (select count(*) from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase
   where d.datname = current_database())"""


def _url(name: str) -> str:
    return f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}"


def _catalog(name: str) -> tuple[object, ...]:
    with psycopg.connect(_url(name)) as conn:
        row = conn.execute(CATALOG).fetchone()
    assert row is not None
    return tuple(row)


@pytest.fixture
def pool() -> Iterator[DatabasePool]:
    need("PostgreSQL", POSTGRES)
    pool = DatabasePool(*POSTGRES)
    yield pool
    pool.close()


def test_a_set_given_back_is_as_fresh_as_a_new_database_and_migrates_again(pool: DatabasePool) -> None:
    first = pool.acquire(DATABASE_OWNERS)
    fresh = {owner: _catalog(name) for owner, name in first.items()}
    for owner, name in first.items():
        upgrade(owner, f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}")
    assert all(_catalog(name)[0] > fresh[owner][0] for owner, name in first.items())  # the migrations made tables
    held = psycopg.connect(_url(first["reviews"]))  # a connection a test forgot, mid-transaction
    held.execute("select count(*) from alembic_version")
    with psycopg.connect(_url(first["gateway"]), autocommit=True) as conn:
        conn.execute("create schema extra; create table extra.t (i int); create extension if not exists pg_trgm")
        conn.execute("select lo_create(0)")
        conn.execute(f"alter database \"{first['gateway']}\" set work_mem = '7MB'")

    pool.release(first)
    again = pool.acquire(DATABASE_OWNERS)

    assert again == first  # the same set, reused rather than created
    with pytest.raises(psycopg.OperationalError):  # the forgotten connection was cut
        held.execute("select 1")
    assert {owner: _catalog(name) for owner, name in again.items()} == fresh
    for owner, name in again.items():
        upgrade(owner, f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}")
    pool.release(again)


def test_closing_the_pool_drops_every_database_it_made(pool: DatabasePool) -> None:
    names = pool.acquire(DATABASE_OWNERS)
    pool.release(names)
    pool.close()
    with psycopg.connect(_url("postgres")) as conn:
        left = conn.execute("select count(*) from pg_database where datname = any(%s)", (list(names.values()),))
        assert left.fetchone() == (0,)
