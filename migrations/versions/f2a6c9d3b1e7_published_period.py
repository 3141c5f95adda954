"""Published periods: a channel shows a period's figures only once the period is published for the
questionnaire (DESIGN.md section 6). Periods that already have responses start unpublished: a manager
publishes them (or `run-due` does, SURVEYS_PUBLISH_AFTER_DAYS after their end).

Revision ID: f2a6c9d3b1e7
Revises: a7c3e9f15b20
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a6c9d3b1e7'
down_revision = 'a7c3e9f15b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'published_period',
        sa.Column('questionnaire', sa.String(length=20), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.Column('published_by', sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint('questionnaire', 'period', name=op.f('pk_published_period')),
    )


def downgrade():
    op.drop_table('published_period')
