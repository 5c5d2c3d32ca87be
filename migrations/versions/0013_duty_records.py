"""Duty records: representatives' offline work (履职登记) and public pages of contact points

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

REPRESENTATIVES_ONLY = sa.text("actor_kind = 'representative'")
ROUTES_ONLY = sa.text("action = 'route'")


def upgrade() -> None:
    op.create_table(
        'duty_activities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('notes', sa.Text(), server_default='', nullable=False),
        sa.Column('contact_point_id', sa.Integer(), nullable=True),
        sa.Column('entered_by', sa.Integer(), nullable=False),
        sa.Column('entered_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id']),
        sa.ForeignKeyConstraint(['entered_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_duty_activities_day', 'duty_activities', ['day'], unique=False)
    op.create_table(
        'duty_activity_representatives',
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('representative_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['duty_activities.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['representative_id'], ['representatives.id']),
        sa.PrimaryKeyConstraint('activity_id', 'representative_id'),
    )
    op.create_index('ix_duty_activity_representatives_representative_id', 'duty_activity_representatives',
                    ['representative_id'], unique=False)
    op.create_index('ix_case_events_representative', 'case_events', ['actor_id', 'at'], unique=False,
                    postgresql_where=REPRESENTATIVES_ONLY, sqlite_where=REPRESENTATIVES_ONLY)
    op.create_index('ix_case_events_routed', 'case_events', ['at'], unique=False,
                    postgresql_where=ROUTES_ONLY, sqlite_where=ROUTES_ONLY)
    op.create_index('ix_cases_contact_point_status', 'cases', ['contact_point_id', 'status', 'id'], unique=False)
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_page', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.drop_column('public_page')
    op.drop_index('ix_cases_contact_point_status', table_name='cases')
    op.drop_index('ix_case_events_routed', table_name='case_events',
                  postgresql_where=ROUTES_ONLY, sqlite_where=ROUTES_ONLY)
    op.drop_index('ix_case_events_representative', table_name='case_events',
                  postgresql_where=REPRESENTATIVES_ONLY, sqlite_where=REPRESENTATIVES_ONLY)
    op.drop_index('ix_duty_activity_representatives_representative_id', table_name='duty_activity_representatives')
    op.drop_table('duty_activity_representatives')
    op.drop_index('ix_duty_activities_day', table_name='duty_activities')
    op.drop_table('duty_activities')
