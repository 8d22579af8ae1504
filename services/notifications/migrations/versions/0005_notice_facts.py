"""notices keep their event's facts; a task's notices can be done

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-20 10:00:00.000000

A notification keeps the data of the event it tells of (`facts`), so the inbox renders it in the reader's
language when it is read, not in the one it was written in. Its task and application (from those facts) are
columns, so the news that a task is decided, or its application's review over or withdrawn, marks the notices
that asked someone to act on it done (`done_at`). Rows written before this keep their stored text.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('task_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('application_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_notifications_task_id', ['task_id'], unique=False)
        batch_op.create_index('ix_notifications_application_id', ['application_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_application_id')
        batch_op.drop_index('ix_notifications_task_id')
        batch_op.drop_column('done_at')
        batch_op.drop_column('application_id')
        batch_op.drop_column('task_id')
        batch_op.drop_column('facts')
