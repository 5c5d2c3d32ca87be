"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 09:58:48.614909
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('code', name=op.f('uq_districts_code'))
    )
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_departments_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('code', name=op.f('uq_departments_code'))
    )
    op.create_table('sub_districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('committee_name', sa.String(length=64), nullable=False),
    sa.Column('committee_phone', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_sub_districts_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sub_districts')),
    sa.UniqueConstraint('code', name=op.f('uq_sub_districts_code'))
    )
    op.create_table('contact_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_contact_points_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_points')),
    sa.UniqueConstraint('code', name=op.f('uq_contact_points_code'))
    )
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_points_sub_district_id'), ['sub_district_id'], unique=False)

    op.create_table('representatives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('constituency', sa.String(length=64), nullable=False),
    sa.Column('sub_district_id', sa.Integer(), nullable=True),
    sa.Column('primary_contact_point_id', sa.Integer(), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=True),
    sa.Column('qr_scene', sa.String(length=64), nullable=True),
    sa.Column('qr_ticket', sa.String(length=255), nullable=True),
    sa.Column('qr_url', sa.String(length=255), nullable=True),
    sa.Column('photo_path', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['primary_contact_point_id'], ['contact_points.id'], name=op.f('fk_representatives_primary_contact_point_id_contact_points')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_representatives_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_representatives')),
    sa.UniqueConstraint('code', name=op.f('uq_representatives_code')),
    sa.UniqueConstraint('openid', name=op.f('uq_representatives_openid')),
    sa.UniqueConstraint('qr_scene', name=op.f('uq_representatives_qr_scene'))
    )
    with op.batch_alter_table('representatives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representatives_sub_district_id'), ['sub_district_id'], unique=False)

    op.create_table('representative_contact_points',
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('contact_point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id'], name=op.f('fk_representative_contact_points_contact_point_id_contact_points')),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_representative_contact_points_representative_id_representatives')),
    sa.PrimaryKeyConstraint('representative_id', 'contact_point_id', name=op.f('pk_representative_contact_points'))
    )
    op.create_table('residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('subscribed_at', sa.DateTime(), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.Column('contact_point_id', sa.Integer(), nullable=True),
    sa.Column('bound_at', sa.DateTime(), nullable=True),
    sa.Column('first_message_at', sa.DateTime(), nullable=True),
    sa.Column('last_message_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id'], name=op.f('fk_residents_contact_point_id_contact_points')),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_residents_representative_id_representatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents')),
    sa.UniqueConstraint('openid', name=op.f('uq_residents_openid'))
    )
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residents_representative_id'), ['representative_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.Column('contact_point_id', sa.Integer(), nullable=True),
    sa.Column('sub_district_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('tier', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id'], name=op.f('fk_cases_contact_point_id_contact_points')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_cases_department_id_departments')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['cases.id'], name=op.f('fk_cases_merged_into_id_cases')),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_cases_representative_id_representatives')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_cases_resident_id_residents')),
    sa.ForeignKeyConstraint(['sub_district_id'], ['sub_districts.id'], name=op.f('fk_cases_sub_district_id_sub_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_cases_representative_status', ['representative_id', 'status'], unique=False)
        batch_op.create_index('ix_cases_resident_id', ['resident_id', 'id'], unique=False)
        batch_op.create_index('ix_cases_sub_district_status', ['sub_district_id', 'status'], unique=False)

    op.create_table('resident_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.Column('contact_point_id', sa.Integer(), nullable=True),
    sa.Column('scene', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('scanned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id'], name=op.f('fk_resident_scans_contact_point_id_contact_points')),
    sa.ForeignKeyConstraint(['representative_id'], ['representatives.id'], name=op.f('fk_resident_scans_representative_id_representatives')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_resident_scans_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_scans'))
    )
    with op.batch_alter_table('resident_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_scans_resident_id'), ['resident_id'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('msg_id', sa.BigInteger(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=True),
    sa.Column('pic_url', sa.Text(), nullable=True),
    sa.Column('media_format', sa.String(length=16), nullable=True),
    sa.Column('thumb_media_id', sa.String(length=128), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('location_scale', sa.Integer(), nullable=True),
    sa.Column('location_label', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_messages_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages'))
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_messages_case_id'), ['case_id'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('msg_type', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_inbound_messages_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_inbound_messages_dedup_key'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_openid'), ['openid'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['case_messages.id'], name=op.f('fk_attachments_message_id_case_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_attachments_status', ['status', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_status')
        batch_op.drop_index(batch_op.f('ix_attachments_message_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_openid'))

    op.drop_table('inbound_messages')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_messages_case_id'))

    op.drop_table('case_messages')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('resident_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_scans_resident_id'))

    op.drop_table('resident_scans')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_sub_district_status')
        batch_op.drop_index('ix_cases_resident_id')
        batch_op.drop_index('ix_cases_representative_status')
        batch_op.drop_index('ix_cases_created_at')

    op.drop_table('cases')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residents_representative_id'))

    op.drop_table('residents')
    op.drop_table('representative_contact_points')
    with op.batch_alter_table('representatives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representatives_sub_district_id'))

    op.drop_table('representatives')
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_points_sub_district_id'))

    op.drop_table('contact_points')
    op.drop_table('sub_districts')
    op.drop_table('departments')
    op.drop_table('districts')
