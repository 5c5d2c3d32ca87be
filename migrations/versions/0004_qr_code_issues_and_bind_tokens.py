"""qr code issues and bind tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:04:18.502055
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bind_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('used_by_openid', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_bind_tokens_representative_id_representatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bind_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_bind_tokens_token_hash'))
    )
    with op.batch_alter_table('bind_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bind_tokens_representative_id'), ['representative_id'], unique=False)

    op.create_table('qr_code_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('scene', sa.String(length=64), nullable=False),
    sa.Column('ticket', sa.String(length=255), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_qr_code_issues_representative_id_representatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qr_code_issues')),
    sa.UniqueConstraint('scene', name=op.f('uq_qr_code_issues_scene'))
    )
    with op.batch_alter_table('qr_code_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qr_code_issues_representative_id'), ['representative_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('qr_code_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qr_code_issues_representative_id'))

    op.drop_table('qr_code_issues')
    with op.batch_alter_table('bind_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bind_tokens_representative_id'))

    op.drop_table('bind_tokens')
