"""Initial schema: questionnaire versions, rounds, invitation codes, responses and answers.

Revision ID: 95825955367d
Revises: 
Create Date: 2026-11-22 08:47:46.477011

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '95825955367d'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version')),
    sa.UniqueConstraint('questionnaire', 'checksum', name='uq_questionnaire_version_checksum'),
    sa.UniqueConstraint('questionnaire', 'version', name=op.f('uq_questionnaire_version_questionnaire'))
    )
    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_round_dates_in_order')),
    sa.CheckConstraint('population IS NULL OR population > 0', name=op.f('ck_round_population_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round'))
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_questionnaire'), ['questionnaire'], unique=False)

    op.create_table('invitation_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_invitation_code_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_invitation_code_code_hash'))
    )
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_code_round_id'), ['round_id'], unique=False)

    op.create_table('response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire', sa.String(length=20), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('half_year', sa.String(length=7), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.CheckConstraint("channel IN ('code', 'open', 'paper')", name=op.f('ck_response_channel_known')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_response_questionnaire_version_id_questionnaire_version')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_response_round_id_round'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_questionnaire_half_year', ['questionnaire', 'half_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_questionnaire_version_id'), ['questionnaire_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_round_id'), ['round_id'], unique=False)

    op.create_table('answer',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('half_year', sa.String(length=7), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.CheckConstraint('(CASE WHEN value IS NULL THEN 0 ELSE 1 END) + (CASE WHEN code IS NULL THEN 0 ELSE 1 END) + (CASE WHEN text IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_answer_one_kind_of_answer')),
    sa.CheckConstraint('value IS NULL OR value BETWEEN 1 AND 10', name=op.f('ck_answer_value_in_range')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_answer_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item', name=op.f('pk_answer'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index('ix_answer_item_half_year', ['item', 'half_year', 'value', 'code'], unique=False)
        batch_op.create_index('ix_answer_item_quarter', ['item', 'quarter', 'value', 'code'], unique=False)



def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_item_quarter')
        batch_op.drop_index('ix_answer_item_half_year')

    op.drop_table('answer')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_round_id'))
        batch_op.drop_index(batch_op.f('ix_response_questionnaire_version_id'))
        batch_op.drop_index('ix_response_questionnaire_half_year')

    op.drop_table('response')
    with op.batch_alter_table('invitation_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_code_round_id'))

    op.drop_table('invitation_code')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_questionnaire'))

    op.drop_table('round')
    op.drop_table('questionnaire_version')
