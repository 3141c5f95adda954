"""Tallies of answers and responses per quarter, filled from what is stored; the quarter index goes.

Revision ID: 22ab68a5b660
Revises: 951e7483c9bb
Create Date: 2026-11-22 10:01:35.819120

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '22ab68a5b660'
down_revision = '951e7483c9bb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_tally',
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('answer', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('item', 'quarter', 'answer', name=op.f('pk_answer_tally'))
    )
    op.create_table('response_tally',
    sa.Column('questionnaire', sa.String(length=20), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('questionnaire', 'quarter', name=op.f('pk_response_tally'))
    )
    # Count what is stored already, so reports read the same figures before and after.
    op.execute(
        "INSERT INTO answer_tally (item, quarter, answer, count) "
        "SELECT item, quarter, COALESCE(CAST(value AS VARCHAR(32)), code), COUNT(*) FROM answer "
        "WHERE text IS NULL GROUP BY item, quarter, COALESCE(CAST(value AS VARCHAR(32)), code)"
    )
    op.execute(
        "INSERT INTO response_tally (questionnaire, quarter, count) "
        "SELECT questionnaire, quarter, COUNT(*) FROM response GROUP BY questionnaire, quarter"
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_item_quarter'))



def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_item_quarter'), ['item', 'quarter', 'value', 'code'], unique=False)

    op.drop_table('response_tally')
    op.drop_table('answer_tally')
