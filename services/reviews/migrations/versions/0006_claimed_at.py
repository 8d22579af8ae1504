"""claimed_at: since when a task's claimer holds it, for the task page's "claimed by … since …"

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-20 11:00:00

- review_tasks.claimed_at: set on claim and reassign, cleared on release; null for claims made before.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
