"""content version and revision

The version now moves only when the applicant changes the content; a new column `revision` moves on every
change (the optimistic lock and the events' aggregateversion). Existing rows keep their numbers as revisions.
An application in review had its version moved by the saga's `in_review` step, one past the version its
review task was opened for: it goes back by one, so that review's decision still names the current version.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=True))
    op.execute("UPDATE applications SET revision = version")
    op.execute("UPDATE applications SET version = version - 1 WHERE status = 'in_review'")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.alter_column('revision', existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("UPDATE applications SET version = revision")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('revision')
