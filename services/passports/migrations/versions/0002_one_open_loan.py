"""one open loan per passport, kept by the database: a unique index on loans(passport_id) where returned_on is null

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 16:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = "returned_on IS NULL"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index('uq_loans_open_passport', ['passport_id'], unique=True,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('uq_loans_open_passport', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
