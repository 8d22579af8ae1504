"""offer guards: at most one live offer (offered or accepted) per student and round, the backstop under the
round-first lock order (services/placements/offers.py)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 19:35:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LIVE_OFFER = sa.text("status IN ('offered', 'accepted')")


def upgrade() -> None:
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ux_offers_round_application_live', ['round_id', 'application_id'], unique=True,
                              postgresql_where=LIVE_OFFER, sqlite_where=LIVE_OFFER)


def downgrade() -> None:
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ux_offers_round_application_live', postgresql_where=LIVE_OFFER,
                            sqlite_where=LIVE_OFFER)
