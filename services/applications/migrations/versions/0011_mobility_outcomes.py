"""statistics: what happened after approval, one row per mobility record from the mobility.* events

Revision ID: 0011
Revises: 0010
Create Date: 2027-03-01 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'stats_mobility_records',
        sa.Column('mobility_id', sa.String(length=36), primary_key=True),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('returned_on', sa.Date(), nullable=True),
        sa.Column('extended', sa.Boolean(), nullable=False),
        sa.Column('shortened', sa.Boolean(), nullable=False),
        sa.Column('report_on_time', sa.Boolean(), nullable=True),
        sa.Column('report_version', sa.Integer(), nullable=True),
    )
    op.create_index('ix_stats_mobility_records_application_id', 'stats_mobility_records', ['application_id'])


def downgrade() -> None:
    op.drop_index('ix_stats_mobility_records_application_id', table_name='stats_mobility_records')
    op.drop_table('stats_mobility_records')
