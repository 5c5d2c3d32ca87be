"""WeChat MsgIds as decimal digits: the whole unsigned 64-bit range fits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00.000000

``case_messages.msg_id`` and ``outbox_messages.template_msgid`` were signed BIGINT, which
refuses a MsgId of 2**63 or more. They become VARCHAR(20) of canonical digits (why text and not
NUMERIC: see models.types.WeChatMsgId). Every stored id is kept: PostgreSQL converts in place;
SQLite's batch mode copies the table, and the column's text affinity stores each integer as its
digits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

DIGITS = sa.String(length=20)
COLUMNS = (('case_messages', 'msg_id'), ('outbox_messages', 'template_msgid'))
# What a signed BIGINT holds, compared as digits (the values are canonical: no sign, no zeros
# in front), so the same test works on both databases.
FITS_BIGINT = "length({column}) < 19 OR (length({column}) = 19 AND {column} <= '9223372036854775807')"


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.BigInteger(), type_=DIGITS, existing_nullable=True,
                                  postgresql_using=f'{column}::varchar(20)')


def downgrade() -> None:
    for table, column in COLUMNS:
        # A MsgId beyond BIGINT has no place in the old column: it is forgotten (the delivery's
        # dedup key in inbound_messages still holds it).
        op.execute(f"UPDATE {table} SET {column} = NULL WHERE NOT ({FITS_BIGINT.format(column=column)})")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=DIGITS, type_=sa.BigInteger(), existing_nullable=True,
                                  postgresql_using=f'{column}::bigint')
