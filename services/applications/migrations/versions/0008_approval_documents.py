"""approval documents: the numbered 任务批件 of an approved application, its yearly numbering and the approvals
it lists

Revision ID: 0008_approval_documents
Revises: 0007_calendar_copy
Create Date: 2026-12-06 09:30:00

- approval_series: per year, the number's prefix and the last sequence number given (locked while a number is
  taken: gap-free, never twice).
- approval_documents: one row per revision of a document (same number; a new token each), with its status
  (valid, superseded, cancelled), its content as issued and its verification token (unique).
- approval_signoffs: each review approval (level, role, reviewer and name, time), from review.decision_recorded.
  Decisions made before this migration are not there: their documents list the approvals the events bring later.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0008_approval_documents'
down_revision: Union[str, Sequence[str], None] = '0007_calendar_copy'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'approval_series',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('prefix', sa.String(length=40), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year'),
    )
    op.create_table(
        'approval_documents',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('number', sa.String(length=80), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('superseded_by', sa.Integer(), nullable=True),
        sa.Column('cancel_reason', sa.Text(), nullable=True),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    op.create_index('ix_approval_documents_application', 'approval_documents', ['application_id', 'revision'],
                    unique=True)
    op.create_table(
        'approval_signoffs',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('reviewer', sa.String(length=80), nullable=False),
        sa.Column('reviewer_name', sa.String(length=120), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('task_id'),
    )
    op.create_index('ix_approval_signoffs_application_id', 'approval_signoffs', ['application_id'])


def downgrade() -> None:
    op.drop_index('ix_approval_signoffs_application_id', table_name='approval_signoffs')
    op.drop_table('approval_signoffs')
    op.drop_index('ix_approval_documents_application', table_name='approval_documents')
    op.drop_table('approval_documents')
    op.drop_table('approval_series')
