"""submissions: what was submitted each time, for the reviewers' "what changed since the last round"

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-20 10:00:00

- application_submissions: one row per submit or resubmit (version, time, the form, the documents' types and
  names), written in the submit's transaction. Submissions made before have none: the first comparison is
  from the next round on.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'application_submissions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('application_id', sa.String(length=36), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('form', sa.JSON(), nullable=False),
        sa.Column('documents', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_application_submissions_application_id', 'application_submissions', ['application_id'])


def downgrade() -> None:
    op.drop_index('ix_application_submissions_application_id', table_name='application_submissions')
    op.drop_table('application_submissions')
