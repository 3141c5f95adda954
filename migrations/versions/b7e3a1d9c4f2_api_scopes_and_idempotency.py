"""API tokens get a scope (read or invite) and an owner; POST /api/v1/invitations remembers its
Idempotency-Keys so that a retried call makes no second code.

Existing tokens were made with `api-token create` and could read the KPIs: they become read tokens owned
by the command line.

Revision ID: b7e3a1d9c4f2
Revises: b7c3e9a1d5f2
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3a1d9c4f2'
down_revision = 'b7c3e9a1d5f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=10), server_default='read', nullable=False))
        batch_op.add_column(sa.Column('owner', sa.String(length=254), server_default='cli', nullable=False))
        batch_op.create_check_constraint('scope', "scope IN ('read', 'invite')")
    op.create_table('idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('sealed_code', sa.String(length=64), nullable=False),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['invitation_code.id'],
                            name=op.f('fk_idempotency_key_code_id_invitation_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name=op.f('fk_idempotency_key_token_id_api_token'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_key')),
    sa.UniqueConstraint('token_id', 'key_hash', name=op.f('uq_idempotency_key_token_id'))
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_key_code_id'), ['code_id'], unique=False)


def downgrade():
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_key_code_id'))
    op.drop_table('idempotency_key')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_api_token_scope'), type_='check')
        batch_op.drop_column('owner')
        batch_op.drop_column('scope')
