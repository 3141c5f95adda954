"""Questionnaires as data: which ones the installation knows, the version served now, and a draft.

Revision ID: c5d9e2a7b140
Revises: c8d4f1a2b6e3
Create Date: 2026-12-02 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5d9e2a7b140'
down_revision = 'c8d4f1a2b6e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'known_questionnaire',
        sa.Column('key', sa.String(length=20), nullable=False),
        sa.Column('current_version_id', sa.Integer(), nullable=True),
        sa.Column('draft', sa.JSON(), nullable=True),
        sa.Column('seeded_checksum', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['current_version_id'], ['questionnaire_version.id'],
                                name=op.f('fk_known_questionnaire_current_version_id_questionnaire_version')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_known_questionnaire')),
    )
    # Every questionnaire already stored serves its newest version, as `seed` last stored it: the next
    # `seed` then moves to the package file's wording exactly as before (new, or an older version again).
    op.execute("""
        INSERT INTO known_questionnaire (key, current_version_id, seeded_checksum, updated_at)
        SELECT v.questionnaire, v.id, v.checksum, CURRENT_TIMESTAMP FROM questionnaire_version v
        WHERE v.version = (SELECT MAX(w.version) FROM questionnaire_version w WHERE w.questionnaire = v.questionnaire)
    """)


def downgrade():
    op.drop_table('known_questionnaire')
