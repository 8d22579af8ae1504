"""Alembic environment for this owner's database: its own tables plus the bus's outbox and inbox."""

from chassis.migrate import run_env
from eventbus.tables import metadata as bus_metadata
from services.placements.models import Base

run_env([Base.metadata, bus_metadata])
