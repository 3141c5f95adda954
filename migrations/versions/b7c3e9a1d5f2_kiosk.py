"""The office tablet: registered kiosk devices and the used one-time tokens of open-link form pages.

Revision ID: b7c3e9a1d5f2
Revises: f2a8d61c0b93
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c3e9a1d5f2'
down_revision = 'f2a8d61c0b93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'kiosk_device',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('registered_by', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_device')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_kiosk_device_token_hash')),
    )
    op.create_table(
        'used_form_token',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_used_form_token')),
    )
    op.create_index(op.f('ix_used_form_token_expires_on'), 'used_form_token', ['expires_on'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_used_form_token_expires_on'), table_name='used_form_token')
    op.drop_table('used_form_token')
    op.drop_table('kiosk_device')
