"""Supervision: deadlines in working days, the holiday calendar, reminders and the 督办 flag

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('cases', sa.Column('supervised_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('supervised_at')
