"""scorecard appeals (考核申诉): the appeal, its evidence photos and its history

Revision ID: 0013_appeals
Revises: 0012_scoring
Create Date: 2026-12-06 06:12:15.693803
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = '0013_appeals'
down_revision = '0012_scoring'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scorecard_appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('tier', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_name', sa.String(length=100), nullable=False),
    sa.Column('count', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', gridcity.cases.models.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('applied_version', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name=op.f('ck_scorecard_appeal_state_known')),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_scorecard_appeal_case_id_case_file')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_scorecard_appeal_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['app_user.id'], name=op.f('fk_scorecard_appeal_filed_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_appeal')),
    sa.UniqueConstraint('month', 'tier', 'subject_id', 'count', 'case_id', name=op.f('uq_scorecard_appeal_month_tier_subject_id_count_case_id'))
    )
    with op.batch_alter_table('scorecard_appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_appeal_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorecard_appeal_filed_by_id'), ['filed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorecard_appeal_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorecard_appeal_state'), ['state'], unique=False)

    op.create_table('scorecard_appeal_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_scorecard_appeal_event_actor_id_app_user')),
    sa.ForeignKeyConstraint(['appeal_id'], ['scorecard_appeal.id'], name=op.f('fk_scorecard_appeal_event_appeal_id_scorecard_appeal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_appeal_event'))
    )
    with op.batch_alter_table('scorecard_appeal_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_appeal_event_appeal_id'), ['appeal_id'], unique=False)

    op.create_table('scorecard_appeal_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('relative_path', sa.String(length=200), nullable=False),
    sa.Column('thumbnail_path', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['scorecard_appeal.id'], name=op.f('fk_scorecard_appeal_photo_appeal_id_scorecard_appeal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_appeal_photo'))
    )
    with op.batch_alter_table('scorecard_appeal_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_appeal_photo_appeal_id'), ['appeal_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scorecard_appeal_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_appeal_photo_appeal_id'))

    op.drop_table('scorecard_appeal_photo')
    with op.batch_alter_table('scorecard_appeal_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_appeal_event_appeal_id'))

    op.drop_table('scorecard_appeal_event')
    with op.batch_alter_table('scorecard_appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_appeal_state'))
        batch_op.drop_index(batch_op.f('ix_scorecard_appeal_month'))
        batch_op.drop_index(batch_op.f('ix_scorecard_appeal_filed_by_id'))
        batch_op.drop_index(batch_op.f('ix_scorecard_appeal_case_id'))

    op.drop_table('scorecard_appeal')
