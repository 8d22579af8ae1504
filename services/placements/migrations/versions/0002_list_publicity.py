"""the 差额公示 of a round's candidate list (list_notices, list_objections) and the copy of the official
working-day calendar it is counted on (calendar_years, calendar_days, from calendar.changed)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 19:25:00

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
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('demo', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', eventbus.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('calendar_days',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=80), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('date')
    )
    op.create_table('list_notices',
    sa.Column('round_id', sa.String(length=36), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('remaining', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('published_by', sa.String(length=80), nullable=False),
    sa.Column('published_at', eventbus.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', eventbus.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id')
    )
    op.create_index('ix_list_notices_status', 'list_notices', ['status', 'ends_on'], unique=False)
    op.create_table('list_objections',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('round_id', sa.String(length=36), nullable=False),
    sa.Column('objector', sa.String(length=80), nullable=False),
    sa.Column('objector_name', sa.String(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=True),
    sa.Column('lodged_at', eventbus.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', eventbus.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['list_notices.round_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_list_objections_round', 'list_objections', ['round_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_list_objections_round', table_name='list_objections')
    op.drop_table('list_objections')
    op.drop_index('ix_list_notices_status', table_name='list_notices')
    op.drop_table('list_notices')
    op.drop_table('calendar_days')
    op.drop_table('calendar_years')
