"""Free-text answers a manager hid because they name a person (issue 17): left out of every channel.

Revision ID: d7e3a9c1f508
Revises: c5d9e2a7b140
Create Date: 2026-12-02 01:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e3a9c1f508'
down_revision = 'c5d9e2a7b140'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hidden_answer',
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('item', sa.String(length=40), nullable=False),
        sa.Column('hidden_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_hidden_answer_response_id_response'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('response_id', 'item', name=op.f('pk_hidden_answer')),
    )


def downgrade():
    op.drop_table('hidden_answer')
