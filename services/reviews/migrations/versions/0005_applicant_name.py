"""applicant's name on cases and tasks: the queue names people and is searched by name

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-20 10:00:00

- review_cases.applicant_name, review_tasks.applicant_name: the full name application.submitted carries
  (empty for cases opened before; the next resubmission fills the case's).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ('review_cases', 'review_tasks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('applicant_name', sa.String(length=120), server_default='', nullable=False))


def downgrade() -> None:
    for table in ('review_tasks', 'review_cases'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('applicant_name')
