"""More case actions: filing on a resident's behalf, referrals, refusals, department answers and proposals

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Residents staff file for (代录) have no WeChat yet: openid may be empty (still unique when set).
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.alter_column('openid', existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('name', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_to', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('referral_reference', sa.String(length=64), nullable=True))

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=32), nullable=True))

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sent_to', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answer', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))

    op.create_table('proposal_signers',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_signers_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_proposal_signers_representative_id_representatives')),
    sa.PrimaryKeyConstraint('proposal_id', 'representative_id', name=op.f('pk_proposal_signers'))
    )


def downgrade() -> None:
    op.drop_table('proposal_signers')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answer')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('sent_to')
        batch_op.drop_column('body')
        batch_op.drop_column('title')

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('code')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('referral_reference')
        batch_op.drop_column('referred_to')

    # Residents filed by staff have no openid, which the older schema requires: they get a
    # placeholder that no WeChat user has.
    op.execute("UPDATE residents SET openid = 'staff-filed-' || id WHERE openid IS NULL")
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('name')
        batch_op.drop_column('channel')
        batch_op.alter_column('openid', existing_type=sa.String(length=64), nullable=False)
