"""The KPI catalogue as data: versions of the catalogue (KPIs and norms over time) imported or edited by a
beheerder; the newest holds. Without a row the catalogue shipped with the package holds, as before.

Revision ID: c8d4f1a2b6e3
Revises: f2a6c9d3b1e7
Create Date: 2026-12-02 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8d4f1a2b6e3'
down_revision = 'f2a6c9d3b1e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'kpi_catalogue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('kpi_catalogue')
