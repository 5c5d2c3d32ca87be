"""Routing: suggestions per case, learned model versions, and the case's colour

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('colour', sa.String(length=8), nullable=True))
    op.create_table(
        'case_suggestions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('model_version', sa.String(length=32), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=True),
        sa.Column('tier', sa.String(length=20), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('colour', sa.String(length=8), nullable=True),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id'),
    )
    op.create_table(
        'routing_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decisions', sa.Integer(), nullable=False),
        sa.Column('held_back', sa.Integer(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('promoted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('heads', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
    )


def downgrade() -> None:
    op.drop_table('routing_models')
    op.drop_table('case_suggestions')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('colour')
