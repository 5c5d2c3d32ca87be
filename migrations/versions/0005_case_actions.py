"""case actions, staff WeChat, outbox claims

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:55:59.583766
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_proposals_case_id_cases')),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_proposals_representative_id_representatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('bind_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_user_id', sa.Integer(), nullable=True))
        batch_op.alter_column('representative_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_bind_tokens_staff_user_id'), ['staff_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bind_tokens_staff_user_id_staff_users'), 'staff_users', ['staff_user_id'], ['id'])

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grouping_closed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalation_reason', sa.String(length=32), nullable=True))

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_openid'))
        batch_op.create_index('ix_inbound_messages_openid_received', ['openid', 'received_at'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=160), nullable=True))
        # Every notice queued before this revision told a representative of a new case.
        batch_op.add_column(sa.Column('template', sa.String(length=32), nullable=False,
                                      server_default='case_notice'))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('template_msgid', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('job_status', sa.String(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_purpose'), type_='unique')
        batch_op.create_index('ix_outbox_messages_openid_sent', ['openid', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_template_msgid'), ['template_msgid'], unique=False)

    # Notices queued before keys existed were unique per purpose, case and recipient.
    op.execute("UPDATE outbox_messages SET idempotency_key = "
               "'legacy:' || purpose || ':' || coalesce(case_id, 0) || ':' || openid")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=160), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_idempotency_key'), ['idempotency_key'])

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('openid', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_staff_users_openid'), ['openid'])



def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_staff_users_openid'), type_='unique')
        batch_op.drop_column('openid')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_idempotency_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_template_msgid'))
        batch_op.drop_index('ix_outbox_messages_openid_sent')
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_purpose'), ['purpose', 'case_id', 'openid'])
        batch_op.drop_column('job_status')
        batch_op.drop_column('template_msgid')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('template')
        batch_op.drop_column('idempotency_key')

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_openid_received')
        batch_op.create_index(batch_op.f('ix_inbound_messages_openid'), ['openid'], unique=False)

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('aliases')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('escalation_reason')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('grouping_closed')

    with op.batch_alter_table('bind_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bind_tokens_staff_user_id_staff_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bind_tokens_staff_user_id'))
        batch_op.alter_column('representative_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('staff_user_id')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_case_id'))

    op.drop_table('proposals')
