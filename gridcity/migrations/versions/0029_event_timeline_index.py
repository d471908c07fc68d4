"""the events that set, stop or use a case's running handling deadline, by
case: the scorecard engine walks them for the month's cases with a history
(issue 13: the month's full scorecard set within 2 s)

Revision ID: 0029_event_timeline_index
Revises: 0028_public_feedback
Create Date: 2026-12-07 19:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0029_event_timeline_index"
down_revision = "0028_public_feedback"
branch_labels = None
depends_on = None

# As gridcity.scorecards.models.TIMELINE_ACTIONS today (a migration keeps its own copy).
TIMELINE_ACTIONS = "'dispatch', 'decide', 'resume', 'rework', 'check', 'handle', 'close'"


def upgrade() -> None:
    where = sa.text(f"action IN ({TIMELINE_ACTIONS})")
    op.create_index(
        "ix_case_event_timeline", "case_event", ["case_id"], unique=False,
        postgresql_where=where, sqlite_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_case_event_timeline", table_name="case_event")
