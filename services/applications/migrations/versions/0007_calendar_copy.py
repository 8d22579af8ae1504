"""calendar copy: applications' copy of the official working-day calendar's entered years

Revision ID: 0007_calendar_copy
Revises: 0006_trip_rules
Create Date: 2027-02-01 11:00:00

- calendar_years, calendar_days: the years reviews' administrators entered, fed by calendar.changed
  (event-carried state); years not here are counted with the chinesecalendar package.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0007_calendar_copy'
down_revision: Union[str, Sequence[str], None] = '0006_trip_rules'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'calendar_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('demo', sa.Boolean(), server_default='false', nullable=False),
        sa.Column('version', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('year'),
    )
    op.create_table(
        'calendar_days',
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('workday', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=80), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('date'),
    )


def downgrade() -> None:
    op.drop_table('calendar_days')
    op.drop_table('calendar_years')
