"""The dashboard's monthly tallies; the words of each suggestion's text, kept for related cases;
the open cases' index with their filing time, the running cases' by deadline; cases by when they last changed and ratings by when they were settled (what the tallies' job
looks for); one-time codes that link a
resident staff filed for to their WeChat

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OPEN = "('submitted', 'accepted', 'assigned', 'replied')"
RUNNING = "('submitted', 'accepted', 'assigned')"


def upgrade() -> None:
    op.create_table(
        'case_tallies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('sub_district_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('received', sa.Integer(), nullable=False),
        sa.Column('taken', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Integer(), nullable=False),
        sa.Column('rated', sa.Integer(), nullable=False),
        sa.Column('satisfied', sa.Integer(), nullable=False),
        sa.Column('solved', sa.Integer(), nullable=False),
        sa.Column('unrated', sa.Integer(), nullable=False),
        sa.Column('counted_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_tallies_month', 'case_tallies', ['month', 'sub_district_id'])
    op.create_index('ix_cases_updated_at', 'cases', ['updated_at'])
    _open_cases_index(with_created_at=True)
    running = sa.text(f"status IN {RUNNING}")
    op.create_index('ix_cases_running_due', 'cases', ['due_at'], postgresql_where=running, sqlite_where=running)
    op.create_index('ix_case_ratings_rated_at', 'case_ratings', ['rated_at'])
    with op.batch_alter_table('case_suggestions') as batch:
        batch.add_column(sa.Column('terms', sa.Text(), nullable=True))
    with op.batch_alter_table('bind_tokens') as batch:
        batch.add_column(sa.Column('resident_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_bind_tokens_resident_id_residents', 'residents', ['resident_id'], ['id'])
        batch.create_index('ix_bind_tokens_resident_id', ['resident_id'])
    _keep_open_cases_terms()


def _open_cases_index(with_created_at: bool) -> None:
    """The open cases' covering index, with their filing time or without (the dashboard's overdue
    count reads it by period)."""
    op.drop_index('ix_cases_open', table_name='cases')
    include = ['sub_district_id', 'department_id', 'representative_id', 'tier', 'due_at', 'escalated_at']
    op.create_index('ix_cases_open', 'cases', ['status', 'id'], postgresql_where=sa.text(f"status IN {OPEN}"),
                    sqlite_where=sa.text(f"status IN {OPEN}"),
                    postgresql_include=include + (['created_at'] if with_created_at else []))


def _keep_open_cases_terms() -> None:
    """The open cases' words, cut now (the only cases related cases compare); closed ones keep
    none. This reads the routing code of the day: if it is gone, related cases cut the texts."""
    from cases.routing.store import TERMS_SEPARATOR, case_texts
    from cases.routing.text import terms_of

    conn = op.get_bind()
    ids = [row.case_id for row in conn.execute(sa.text(
        f"SELECT s.case_id FROM case_suggestions s JOIN cases c ON c.id = s.case_id WHERE c.status IN {OPEN}"))]
    for start in range(0, len(ids), 1000):
        texts = case_texts(conn, ids[start:start + 1000])
        conn.execute(sa.text("UPDATE case_suggestions SET terms = :terms WHERE case_id = :case_id"),
                     [{"case_id": case_id, "terms": TERMS_SEPARATOR.join(sorted(terms_of(text)))}
                      for case_id, text in texts.items()])


def downgrade() -> None:
    with op.batch_alter_table('bind_tokens') as batch:
        batch.drop_index('ix_bind_tokens_resident_id')
        batch.drop_constraint('fk_bind_tokens_resident_id_residents', type_='foreignkey')
        batch.drop_column('resident_id')
    with op.batch_alter_table('case_suggestions') as batch:
        batch.drop_column('terms')
    op.drop_index('ix_case_ratings_rated_at', table_name='case_ratings')
    op.drop_index('ix_cases_running_due', table_name='cases')
    _open_cases_index(with_created_at=False)
    op.drop_index('ix_cases_updated_at', table_name='cases')
    op.drop_index('ix_case_tallies_month', table_name='case_tallies')
    op.drop_table('case_tallies')
