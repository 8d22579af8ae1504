"""recipients' contacts per channel; inbox pages

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10 10:00:00.000000

Each recipient's addresses become one map by channel name (`contacts`: {"email": ..., "wecom": ...}),
filled from the `email` column, which is then dropped: the map is the one home of a person's addresses,
and user.registered brings them all again. An index serves the inbox's keyset pages (newest first).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _recipients(*columns: sa.Column) -> sa.TableClause:
    return sa.table('recipients', sa.column('username', sa.String()), *columns)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contacts', sa.JSON(), nullable=True))
    recipients = _recipients(sa.column('email', sa.String()), sa.column('contacts', sa.JSON()))
    connection = op.get_bind()
    for username, email in connection.execute(sa.select(recipients.c.username, recipients.c.email)).all():
        connection.execute(recipients.update().where(recipients.c.username == username)
                           .values(contacts={"email": email} if email else {}))
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.alter_column('contacts', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('email')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_inbox_pages', ['recipient', 'channel', 'created_at', 'id'],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_inbox_pages')

    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    recipients = _recipients(sa.column('email', sa.String()), sa.column('contacts', sa.JSON()))
    connection = op.get_bind()
    for username, contacts in connection.execute(sa.select(recipients.c.username, recipients.c.contacts)).all():
        connection.execute(recipients.update().where(recipients.c.username == username)
                           .values(email=(contacts or {}).get("email", "")))
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
        batch_op.drop_column('contacts')
