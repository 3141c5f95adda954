"""The organisation profile: name, contact details and logo as data a beheerder sets, in one row.

Revision ID: a7c3e9f15b20
Revises: b7e3a1d9c4f2
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f15b20'
down_revision = 'b7e3a1d9c4f2'
branch_labels = None
depends_on = None


def upgrade():
    # Empty: `flask --app surveys seed` stores the shipped default, and the pages use that default until then.
    op.create_table(
        'organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('short_name', sa.String(length=80), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('address', sa.String(length=300), server_default='', nullable=False),
        sa.Column('website', sa.String(length=300), nullable=False),
        sa.Column('privacy_url', sa.String(length=300), nullable=False),
        sa.Column('sender', sa.String(length=254), server_default='', nullable=False),
        sa.Column('logo', sa.LargeBinary(), nullable=True),
        sa.Column('logo_type', sa.String(length=20), nullable=True),
        sa.Column('logo_hash', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_organisation_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    )


def downgrade():
    op.drop_table('organisation')
