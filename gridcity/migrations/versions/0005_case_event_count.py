"""case_file.event_count: every history event changes the case row (and its version);
joins the open311 and patrols branches

Revision ID: 0005_case_event_count
Revises: 0003_open311, 0004_patrols
Create Date: 2026-12-02 02:25:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0005_case_event_count'
down_revision = ('0003_open311', '0004_patrols')
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_count', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE case_file SET event_count = "
        "(SELECT count(*) FROM case_event WHERE case_event.case_id = case_file.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_column('event_count')
