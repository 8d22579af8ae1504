"""the nomination keeps the e-mail address its partner's link was mailed to (nominations.link_contact_email), so
a link's answer names that contact even if the agreement's contacts change afterwards (review N5)

Rows nominated before this revision keep null: their answer names the partner's current contact, as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_contact_email', sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_column('link_contact_email')
