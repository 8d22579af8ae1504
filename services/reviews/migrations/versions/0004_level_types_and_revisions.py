"""level types and revisions: a task knows its level's type; a case remembers the application's revision

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10 10:00:00

- review_tasks.type: the level type that opened the task (levels/); every task so far is a decision.
- review_cases.revision: the application's revision (its events' aggregateversion, moved by every change)
  last applied, so that a resubmission is recognised as news without its version moving (the version now
  moves only when the applicant edits). Null for cases opened before: the first news with a revision sets it.
- One task per level per round instead of per version: a resubmission without edits keeps the version.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=True))
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=20), server_default='decision', nullable=False))
        batch_op.drop_constraint('uq_task_per_level', type_='unique')
        batch_op.create_unique_constraint('uq_task_per_round_level', ['application_id', 'round', 'level'])


def downgrade() -> None:
    with op.batch_alter_table('review_tasks', schema=None) as batch_op:
        batch_op.drop_constraint('uq_task_per_round_level', type_='unique')
        batch_op.create_unique_constraint('uq_task_per_level', ['application_id', 'application_version', 'level'])
        batch_op.drop_column('type')
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.drop_column('revision')
