"""The queues at a million cases: search over residents' messages on PostgreSQL (the bigram
function and its GIN index), and indexes for each queue's scope, status and order

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The function as this revision defines it (the bigrams of a message, repeats included) (models/search.py holds the current one; a change to
# it needs a new revision that replaces the function and rebuilds the index).
TERMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION minyi_search_terms(body text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(substr(word, i, 2)), '{}')
  FROM regexp_split_to_table(lower(body), '[[:space:][:punct:]，。！？、；：“”‘’（）《》【】〔〕「」『』…—～·￥]+') AS word,
       generate_series(1, length(word) - 1) AS i
$$
"""


def upgrade() -> None:
    op.drop_index('ix_cases_sub_district_status', table_name='cases')
    op.create_index('ix_cases_sub_district_status', 'cases', ['sub_district_id', 'status', 'id'])
    op.create_index('ix_cases_department_status', 'cases', ['department_id', 'status', 'id'])
    op.create_index('ix_cases_status', 'cases', ['status', 'id'])
    op.create_index('ix_cases_due_at', 'cases', ['due_at'])
    open_cases = sa.text("status IN ('submitted', 'accepted', 'assigned', 'replied')")
    op.create_index('ix_cases_open', 'cases', ['status', 'id'], postgresql_where=open_cases, sqlite_where=open_cases,
                    postgresql_include=['sub_district_id', 'department_id', 'representative_id', 'tier', 'due_at',
                                        'escalated_at'])
    op.create_index('ix_cases_open_sub_district', 'cases', ['sub_district_id', 'id'], postgresql_where=open_cases,
                    sqlite_where=open_cases)
    op.create_index('ix_case_events_reopened', 'case_events', ['case_id'],
                    postgresql_where=sa.text("action = 'reopen'"), sqlite_where=sa.text("action = 'reopen'"))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TERMS_FUNCTION)
    op.execute("ALTER TABLE case_messages ADD COLUMN search_terms text[] "
               "GENERATED ALWAYS AS (minyi_search_terms(content)) STORED")
    op.execute("CREATE INDEX ix_case_messages_search_terms ON case_messages USING gin (search_terms)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_case_messages_search_terms")
        op.execute("ALTER TABLE case_messages DROP COLUMN IF EXISTS search_terms")
        op.execute("DROP FUNCTION IF EXISTS minyi_search_terms(text)")
    op.drop_index('ix_case_events_reopened', table_name='case_events')
    for name in ('ix_cases_open_sub_district', 'ix_cases_open', 'ix_cases_due_at', 'ix_cases_status', 'ix_cases_department_status', 'ix_cases_sub_district_status'):
        op.drop_index(name, table_name='cases')
    op.create_index('ix_cases_sub_district_status', 'cases', ['sub_district_id', 'status'])
