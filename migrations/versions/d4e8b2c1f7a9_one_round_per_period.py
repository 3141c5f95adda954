"""One round per questionnaire and period: merge existing duplicates, then let the database refuse more.

A second round for the same questionnaire and period used to be accepted; the reports add the rounds'
populations, so a duplicate halves the response rate. Each set of duplicates is merged into its oldest
round (lowest id): the earliest opening and latest closing date, the populations added up as the reports
already did (so no published figure changes; unknown if any round's is unknown), and the invitation codes
and responses of the others moved to it. Each merge is printed: which rounds went into which.

Revision ID: d4e8b2c1f7a9
Revises: 5a9e2c41d7b3
Create Date: 2026-12-01 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8b2c1f7a9'
down_revision = '5a9e2c41d7b3'
branch_labels = None
depends_on = None


def merge_duplicates(connection) -> list[str]:
    """Merge every set of rounds with the same questionnaire and period; returns one line per merge."""
    rounds = connection.execute(sa.text(
        'SELECT id, questionnaire, period, opens_on, closes_on, population FROM round ORDER BY id')).all()
    groups: dict[tuple[str, str], list] = {}
    for row in rounds:
        groups.setdefault((row.questionnaire, row.period), []).append(row)
    said = []
    for (questionnaire, period), rows in groups.items():
        if len(rows) < 2:
            continue
        keep, others = rows[0], rows[1:]
        populations = [row.population for row in rows]
        population = None if any(p is None for p in populations) else sum(populations)
        other_ids = [row.id for row in others]
        connection.execute(sa.text(
            'UPDATE round SET opens_on = :opens, closes_on = :closes, population = :population WHERE id = :id'),
            {'opens': min(row.opens_on for row in rows), 'closes': max(row.closes_on for row in rows),
             'population': population, 'id': keep.id})
        for table in ('invitation_code', 'response'):
            connection.execute(sa.text(f'UPDATE {table} SET round_id = :keep WHERE round_id IN :others')
                               .bindparams(sa.bindparam('others', expanding=True)),
                               {'keep': keep.id, 'others': other_ids})
        connection.execute(sa.text('DELETE FROM round WHERE id IN :others')
                           .bindparams(sa.bindparam('others', expanding=True)), {'others': other_ids})
        said.append(f'{questionnaire} {period}: rounds {", ".join(map(str, other_ids))} merged into round '
                    f'{keep.id} (population {population if population is not None else "unknown"})')
    return said


def upgrade():
    for line in merge_duplicates(op.get_bind()):
        print(f'one round per period: {line}')
    # An index, not a constraint: on SQLite a constraint means rebuilding the table, and dropping the old
    # round table would cascade-delete every invitation code.
    op.create_index('uq_round_questionnaire_period', 'round', ['questionnaire', 'period'], unique=True)


def downgrade():
    op.drop_index('uq_round_questionnaire_period', table_name='round')
