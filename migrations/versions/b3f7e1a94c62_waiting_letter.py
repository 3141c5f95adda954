"""The cliënt letter waits server-side, its link sealed with a key kept in the manager's session (issue 17):
the plain code no longer travels in the signed (readable) session cookie.

Revision ID: b3f7e1a94c62
Revises: d7e3a9c1f508
Create Date: 2026-12-02 03:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f7e1a94c62'
down_revision = 'd7e3a9c1f508'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'waiting_letter',
        sa.Column('letter_hash', sa.String(length=64), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('sealed_link', sa.LargeBinary(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_waiting_letter_round_id_round'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('letter_hash', name=op.f('pk_waiting_letter')),
    )
    with op.batch_alter_table('waiting_letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_letter_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('waiting_letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiting_letter_expires_at'))
    op.drop_table('waiting_letter')
