"""Verification: residents' ratings of answered and closed cases (验单)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('solved', sa.String(length=16), nullable=True),
        sa.Column('satisfaction', sa.String(length=16), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('rated_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_ratings_case_id_cases')),
        sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_case_ratings_event_id_case_events')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_ratings')),
        sa.UniqueConstraint('event_id', name=op.f('uq_case_ratings_event_id')),
    )
    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_ratings_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_ratings_status', ['status', 'asked_at'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('url')
    with op.batch_alter_table('case_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_case_ratings_status')
        batch_op.drop_index(batch_op.f('ix_case_ratings_case_id'))
    op.drop_table('case_ratings')
