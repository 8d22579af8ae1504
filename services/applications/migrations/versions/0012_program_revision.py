"""programs: a revision counter, the aggregateversion of program.saved (placements keeps a copy)

Revision ID: 0012
Revises: 0011
Create Date: 2027-03-15 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Programs made before start at 1: `mobility programs announce` sends them as they are.
    with op.batch_alter_table('programs') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.drop_column('revision')
