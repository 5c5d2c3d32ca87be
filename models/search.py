"""The search index over residents' messages, PostgreSQL only (cases/search.py explains it): the
bigram function, a generated column ``case_messages.search_terms`` holding each message's
bigrams, and a GIN index on it, all created with the table. SQLite searches with LIKE alone.

The column is PostgreSQL's own, outside the model (SQLite has no such function to generate it
with): nothing writes it, PostgreSQL computes it on every insert, and ``cases.search`` reads it.
Autogenerate and the migration test leave it alone (``not_in_model``).
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from models.case import CaseMessage

# Where words break: spaces, ASCII punctuation and the Chinese marks residents type.
SEPARATORS = r"[[:space:][:punct:]，。！？、；：“”‘’（）《》【】〔〕「」『』…—～·￥]+"

# The text's bigrams, repeats included (GIN keeps each key once; leaving DISTINCT out halves the
# cost, about 20 µs for 30 characters, paid once when a message is stored). PL/pgSQL, not SQL:
# a SQL function with a set-returning FROM clause is not inlined, and its query was planned anew
# for every message stored; PL/pgSQL keeps the plan for the session (migration 0016).
TERMS_FUNCTION = rf"""
CREATE OR REPLACE FUNCTION minyi_search_terms(body text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(substr(word, i, 2)), '{{}}')
          FROM regexp_split_to_table(lower(body), '{SEPARATORS}') AS word,
               generate_series(1, length(word) - 1) AS i);
END
$$
"""
TERMS_COLUMN = "search_terms"
TERMS_INDEX = "ix_case_messages_search_terms"
ADD_TERMS = (f"ALTER TABLE case_messages ADD COLUMN {TERMS_COLUMN} text[] "
             "GENERATED ALWAYS AS (minyi_search_terms(content)) STORED",
             f"CREATE INDEX {TERMS_INDEX} ON case_messages USING gin ({TERMS_COLUMN})")
DROP_TERMS_FUNCTION = "DROP FUNCTION IF EXISTS minyi_search_terms(text)"

event.listen(CaseMessage.__table__, "before_create", DDL(TERMS_FUNCTION).execute_if(dialect="postgresql"))
for statement in ADD_TERMS:
    event.listen(CaseMessage.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql"))
event.listen(CaseMessage.__table__, "after_drop", DDL(DROP_TERMS_FUNCTION).execute_if(dialect="postgresql"))


def not_in_model(object_, name, type_, reflected, compare_to) -> bool:
    """Autogenerate's ``include_object``: leave out the search column and its index."""
    return not (reflected and ((type_ == "column" and name == TERMS_COLUMN and object_.table.name == "case_messages")
                               or (type_ == "index" and name == TERMS_INDEX)))
