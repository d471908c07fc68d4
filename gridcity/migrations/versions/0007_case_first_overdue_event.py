"""case_file.first_overdue_event_id: each case's first overdue mark, kept on the
case (the scorecards' on-time rule reads it for every event of a month)

Revision ID: 0007_case_first_overdue_event
Revises: 0006_scorecards
Create Date: 2026-12-03 08:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_case_first_overdue_event'
down_revision = '0006_scorecards'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_overdue_event_id', sa.Integer(), nullable=True))
    # Through ix_case_event_overdue (overdue marks only).
    op.execute(
        "UPDATE case_file SET first_overdue_event_id = "
        "(SELECT min(e.id) FROM case_event e WHERE e.case_id = case_file.id AND e.action = 'overdue') "
        "WHERE id IN (SELECT case_id FROM case_event WHERE action = 'overdue')"
    )


def downgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_column('first_overdue_event_id')
