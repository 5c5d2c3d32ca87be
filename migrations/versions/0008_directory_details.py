"""The district's directory kept in the console: contact point, representative and department details

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='point'))
        batch_op.add_column(sa.Column('run_by', sa.String(length=16), nullable=False, server_default='subdistrict'))
        batch_op.add_column(sa.Column('reception_hours', sa.String(length=100), nullable=False, server_default=''))
    # A place that calls itself a 联络站 was one before this revision too.
    op.execute("UPDATE contact_points SET kind = 'station' WHERE name LIKE '%联络站%'")

    with op.batch_alter_table('representatives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_unit', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('introduction', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_name', sa.String(length=32), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('short_name')

    with op.batch_alter_table('representatives', schema=None) as batch_op:
        batch_op.drop_column('introduction')
        batch_op.drop_column('work_unit')

    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.drop_column('reception_hours')
        batch_op.drop_column('run_by')
        batch_op.drop_column('kind')
