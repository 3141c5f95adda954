"""`run-due`: the days each invitation and reminder went out, managers' digest choice, the lease that lets
one run work at a time, and the jobs that must happen once.

Codes mailed before this revision have no invitation day: `run-due` reminds them as if invited on the
upgrade's day, never at once.

Revision ID: f2a8d61c0b93
Revises: d4e8b2c1f7a9
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a8d61c0b93'
down_revision = 'd4e8b2c1f7a9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reminded_on', sa.Date(), nullable=True))
    op.execute(sa.text("UPDATE invitation_code SET invited_on = CURRENT_DATE WHERE email IS NOT NULL"))
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        'scheduled_run',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('leased_until', sa.DateTime(), nullable=True),
        sa.Column('last_started_at', sa.DateTime(), nullable=True),
        sa.Column('last_finished_at', sa.DateTime(), nullable=True),
        sa.Column('last_summary', sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'done_job',
        sa.Column('job', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('job', 'key'),
    )


def downgrade():
    op.drop_table('done_job')
    op.drop_table('scheduled_run')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('digest')
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.drop_column('reminded_on')
        batch_op.drop_column('invited_on')
