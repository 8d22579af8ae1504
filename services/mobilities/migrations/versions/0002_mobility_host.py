"""mobilities: the record's host (partner, name, country) from the placements service's nomination news

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 19:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import eventbus.columns

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # All nullable (or defaulted): records made before have no host until a nomination of theirs is approved.
    with op.batch_alter_table('mobilities') as batch:
        batch.add_column(sa.Column('host_partner_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('host_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('host_country', sa.String(length=2), nullable=True))
        batch.add_column(sa.Column('host_nomination_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('host_revision', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('host_news_at', eventbus.columns.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mobilities') as batch:
        for column in ('host_news_at', 'host_revision', 'host_nomination_id', 'host_country', 'host_name',
                       'host_partner_id'):
            batch.drop_column(column)
