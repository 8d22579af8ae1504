"""calendar: the official working-day calendar's entered years (admin → Calendar)

Revision ID: 0007_calendar
Revises: 0006
Create Date: 2027-02-01 09:00:00

- calendar_years: the years an administrator entered or seeded from chinesecalendar (demo: demo data, not
  official; version: the calendar.changed counter of that year).
- calendar_days: the days of those years that differ from Monday to Friday (holidays, 调休 make-up days).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0007_calendar'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'calendar_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('demo', sa.Boolean(), server_default='false', nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
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
