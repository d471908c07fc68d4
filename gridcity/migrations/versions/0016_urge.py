"""case_file urging (催办) and escalation (督办): how often a case was urged
and when last, how often it was escalated to the unit's leadership and when
last (issue 15, item 3)

Revision ID: 0016_urge
Revises: 0015_hotline
Create Date: 2026-12-06 23:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0016_urge'
down_revision = "0015_hotline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cases before this revision were never urged nor escalated: no backfill.
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urge_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_urged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalation_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalation_count')
        batch_op.drop_column('last_urged_at')
        batch_op.drop_column('urge_count')
