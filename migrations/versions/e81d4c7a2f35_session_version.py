"""Revocable staff sessions: a session version per account, part of every session's id.

Existing sessions (whose id has no version) end with the upgrade: their holders log in again.

Revision ID: e81d4c7a2f35
Revises: c3f1a7d2e9b4
Create Date: 2026-12-01 21:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e81d4c7a2f35'
down_revision = 'c3f1a7d2e9b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
