"""Lean answers: no period columns, no item index, WITHOUT ROWID on SQLite.

The tallies serve the KPI figures; what still reads answers finds them by response, and the responses get
an index per quarter for that.

Revision ID: c3f1a7d2e9b4
Revises: 22ab68a5b660
Create Date: 2026-11-22 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a7d2e9b4'
down_revision = '22ab68a5b660'
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('answer', schema=None, recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_with_rowid': False} if sqlite else {}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_item_half_year'))
        batch_op.drop_column('half_year')
        batch_op.drop_column('quarter')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_questionnaire_quarter', ['questionnaire', 'quarter'], unique=False)


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_questionnaire_quarter')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('half_year', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('quarter', sa.String(length=7), nullable=True))
    op.execute('UPDATE answer SET half_year = (SELECT half_year FROM response WHERE response.id = answer.response_id), '
               'quarter = (SELECT quarter FROM response WHERE response.id = answer.response_id)')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # Back to an ordinary (rowid) table on SQLite, as the earlier revisions made it.
    with op.batch_alter_table('answer', schema=None, recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_with_rowid': True} if sqlite else {}) as batch_op:
        batch_op.alter_column('half_year', existing_type=sa.String(length=7), nullable=False)
        batch_op.alter_column('quarter', existing_type=sa.String(length=7), nullable=False)
        batch_op.create_index(batch_op.f('ix_answer_item_half_year'), ['item', 'half_year', 'value', 'code'],
                              unique=False)
