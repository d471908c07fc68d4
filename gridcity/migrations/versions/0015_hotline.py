"""hotline intake (热线受理): the intake channels (12345, 12319, 来访, 来信) as
rows, and the calls taken on a case (caller, phone, callback, ticket number)

Revision ID: 0015_hotline
Revises: 0014_scorecard_facts
Create Date: 2026-12-06 23:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = '0015_hotline'
down_revision = "0014_scorecard_facts"
branch_labels = None
depends_on = None

# The defaults of gridcity.hotline.models.DEFAULT_CHANNELS, as they were when
# this migration was written.
CHANNELS = (
    ("12345", "12345 政务服务热线", "12345 service hotline", "hotline", True, 1),
    ("12319", "12319 城建热线", "12319 urban-construction hotline", "hotline", True, 2),
    ("visit", "来访", "Walk-in visit", "public", False, 3),
    ("letter", "来信", "Letter", "public", False, 4),
)


def upgrade() -> None:
    channel = op.create_table('intake_channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name_zh', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('has_ticket', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_channel')),
    sa.UniqueConstraint('code', name=op.f('uq_intake_channel_code'))
    )
    op.create_table('hotline_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('client_uuid', sa.String(length=64), nullable=True),
    sa.Column('ticket_number', sa.String(length=40), nullable=True),
    sa.Column('caller_name', sa.String(length=50), nullable=True),
    sa.Column('caller_phone', sa.String(length=30), nullable=True),
    sa.Column('callback_wanted', sa.Boolean(), nullable=False),
    sa.Column('joined', sa.Boolean(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('received_at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_hotline_call_case_id_case_file')),
    sa.ForeignKeyConstraint(['channel_id'], ['intake_channel.id'], name=op.f('fk_hotline_call_channel_id_intake_channel')),
    sa.ForeignKeyConstraint(['event_id'], ['case_event.id'], name=op.f('fk_hotline_call_event_id_case_event')),
    sa.ForeignKeyConstraint(['operator_id'], ['app_user.id'], name=op.f('fk_hotline_call_operator_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_call')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_hotline_call_client_uuid'))
    )
    with op.batch_alter_table('hotline_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_call_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_call_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_call_ticket_number'), ['ticket_number'], unique=False)
    op.bulk_insert(
        channel,
        [
            {"code": c, "name_zh": zh, "name_en": en, "source": s, "has_ticket": t, "sort_order": o, "active": True}
            for c, zh, en, s, t, o in CHANNELS
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table('hotline_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotline_call_ticket_number'))
        batch_op.drop_index(batch_op.f('ix_hotline_call_received_at'))
        batch_op.drop_index(batch_op.f('ix_hotline_call_case_id'))
    op.drop_table('hotline_call')
    op.drop_table('intake_channel')
