"""statistics: a student exchange's allocated partner (placements' offers and nominations) beside its first
choice, and the places per selection round and partner (allocation.completed)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import eventbus.columns

revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TEXT = (('choice_partner_id', 36), ('choice_partner_name', 200), ('choice_country', 2), ('choice_region', 20),
         ('allocated_partner_id', 36), ('allocated_partner_name', 200), ('allocated_country', 2),
         ('allocated_region', 20), ('selection_round_id', 36))


def upgrade() -> None:
    with op.batch_alter_table('stats_mobilities') as batch:
        for name, length in _TEXT:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch.add_column(sa.Column('allocation_news_at', eventbus.columns.UTCDateTime(timezone=True), nullable=True))
        batch.create_index('ix_stats_mobilities_selection_round_id', ['selection_round_id'])
    # Rows from before: their partner is the first choice the facts named (no allocation was known).
    op.execute("UPDATE stats_mobilities SET choice_partner_id = partner_id, choice_partner_name = partner_name, "
               "choice_country = country, choice_region = region")
    op.create_table(
        'stats_places',
        sa.Column('round_id', sa.String(length=36), nullable=False),
        sa.Column('partner_id', sa.String(length=36), nullable=False),
        sa.Column('program_id', sa.String(length=36), nullable=True),
        sa.Column('partner_name', sa.String(length=200), nullable=False),
        sa.Column('academic_year', sa.Integer(), nullable=True),
        sa.Column('places', sa.Integer(), nullable=False),
        sa.Column('run_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('round_id', 'partner_id'),
    )


def downgrade() -> None:
    op.drop_table('stats_places')
    with op.batch_alter_table('stats_mobilities') as batch:
        batch.drop_index('ix_stats_mobilities_selection_round_id')
        batch.drop_column('allocation_news_at')
        for name, _ in reversed(_TEXT):
            batch.drop_column(name)
