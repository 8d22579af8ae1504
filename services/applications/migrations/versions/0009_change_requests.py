"""change requests: a change of an approved application, re-approved before it replaces the approved form

Revision ID: 0009_change_requests
Revises: 0008_approval_documents
Create Date: 2027-02-03 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0009_change_requests'
down_revision: Union[str, Sequence[str], None] = '0008_approval_documents'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'change_requests',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('application_id', sa.String(length=36),
                  sa.ForeignKey('applications.id', ondelete='CASCADE'), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('form', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('requested_by', sa.String(length=80), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.String(length=80), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
    )
    op.create_index('ix_change_requests_application', 'change_requests', ['application_id', 'number'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_change_requests_application', table_name='change_requests')
    op.drop_table('change_requests')
