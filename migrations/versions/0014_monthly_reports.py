"""Monthly reports: the workbooks kept per sub-district and month

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'monthly_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('sub_district_id', sa.Integer(), nullable=True),
        sa.Column('scope_key', sa.String(length=40), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('path', sa.String(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'],
                                name=op.f('fk_monthly_reports_sub_district_id_sub_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_reports')),
        sa.UniqueConstraint('scope_key', 'month', name=op.f('uq_monthly_reports_scope_key')),
    )
    with op.batch_alter_table('monthly_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_reports_sub_district_id'), ['sub_district_id'], unique=False)

    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reception_day', sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.drop_column('reception_day')

    with op.batch_alter_table('monthly_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_reports_sub_district_id'))
    op.drop_table('monthly_reports')
