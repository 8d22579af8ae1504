"""the clerk's display name beside the username: loans (handed out by, taken back by), handovers and the audit
log; nullable, kept from now on (older rows show the username)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# plain ADD COLUMN (no table rebuild): handovers and audit_log are append-only, their rows are never rewritten
COLUMNS = (('loans', 'handed_out_by_name'), ('loans', 'returned_by_name'), ('handovers', 'by_name'),
           ('audit_log', 'actor_name'))


def upgrade() -> None:
    """Upgrade schema."""
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
