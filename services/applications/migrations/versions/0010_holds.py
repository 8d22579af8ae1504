"""holds from mobilities, and the extension a change request carries out

Revision ID: 0010
Revises: 0009_change_requests
Create Date: 2027-03-01 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009_change_requests'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'holds',
        sa.Column('hold_id', sa.String(length=36), primary_key=True),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=True),
        sa.Column('staff_number', sa.String(length=40), nullable=True),
        sa.Column('school', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('mobility_id', sa.String(length=36), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('clears', sa.String(length=60), nullable=False),
        sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_holds_username', 'holds', ['username'])
    op.create_index('ix_holds_staff_number', 'holds', ['staff_number'])
    op.create_index('ix_holds_school', 'holds', ['school'])
    with op.batch_alter_table('change_requests') as batch:
        batch.add_column(sa.Column('extension_id', sa.String(length=36), nullable=True))
        batch.create_unique_constraint('uq_change_requests_extension_id', ['extension_id'])


def downgrade() -> None:
    with op.batch_alter_table('change_requests') as batch:
        batch.drop_constraint('uq_change_requests_extension_id', type_='unique')
        batch.drop_column('extension_id')
    op.drop_index('ix_holds_school', table_name='holds')
    op.drop_index('ix_holds_staff_number', table_name='holds')
    op.drop_index('ix_holds_username', table_name='holds')
    op.drop_table('holds')
