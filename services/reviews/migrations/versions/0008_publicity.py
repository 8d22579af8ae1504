"""publicity: the 公示 level's periods and objections, and the trip's public notice on the case

Revision ID: 0008_publicity
Revises: 0007_calendar
Create Date: 2026-12-06 09:30:00

- review_cases.notice: the notice carried by application.submitted/resubmitted (null for other kinds).
- publicity_notices: one period per case and round (dates in the office's zone, paused days, status).
- publicity_objections: objections lodged by staff, and the ICD's decision on each.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0008_publicity'
down_revision: Union[str, Sequence[str], None] = '0007_calendar'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.JSON(), nullable=True))
    op.create_table(
        'publicity_notices',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('working_days', sa.Integer(), nullable=False),
        sa.Column('opened_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('remaining', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('content', sa.JSON(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('application_id', 'round', name='uq_notice_per_round'),
    )
    with op.batch_alter_table('publicity_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publicity_notices_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publicity_notices_status'), ['status'], unique=False)
    op.create_table(
        'publicity_objections',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('objector', sa.String(length=80), nullable=False),
        sa.Column('objector_name', sa.String(length=120), server_default='', nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('lodged_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('decided_by', sa.String(length=80), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('publicity_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publicity_objections_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publicity_objections_notice_id'), ['notice_id'], unique=False)


def downgrade() -> None:
    op.drop_table('publicity_objections')
    op.drop_table('publicity_notices')
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.drop_column('notice')
