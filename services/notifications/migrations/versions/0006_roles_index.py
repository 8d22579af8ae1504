"""who holds a role is found by an index on PostgreSQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 19:30:00.000000

Every review task's notice asks the directory who holds the reviewers' role (JSON containment on
`recipients.roles`). Without an index PostgreSQL scanned the whole directory for it: 19 ms a notice for
40,000 people. A GIN index on the roles (jsonb_path_ops: containment only, the smallest such index) makes it a
lookup. SQLite gets nothing: it has no such index, and the embedded directory is small.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_recipients_roles', 'recipients',
                        [sa.cast(sa.column('roles'), JSONB).label('roles_jsonb')],
                        postgresql_using='gin', postgresql_ops={'roles_jsonb': 'jsonb_path_ops'})


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_recipients_roles', table_name='recipients')
