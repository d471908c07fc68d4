"""scorecard_row.score / grade / rank may be empty: a subject with no data in
the month has no score, no grade and no rank (DOMAIN.md §7.1 rule 9)

Revision ID: 0012_scoring
Revises: 0011_schemas
Create Date: 2026-12-06 06:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0012_scoring'
down_revision = "0011_schemas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scorecard_row', schema=None) as batch_op:
        batch_op.alter_column('score', existing_type=sa.Float(), nullable=True)
        batch_op.alter_column('grade', existing_type=sa.String(2), nullable=True)
        batch_op.alter_column('rank', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # The older schema cannot say "no score": a frozen row without one reads
    # score 0, grade E and rank 0 there (its counts, all zero, are kept).
    op.execute("UPDATE scorecard_row SET score = 0 WHERE score IS NULL")
    op.execute("UPDATE scorecard_row SET grade = 'E' WHERE grade IS NULL")
    op.execute("UPDATE scorecard_row SET rank = 0 WHERE rank IS NULL")
    with op.batch_alter_table('scorecard_row', schema=None) as batch_op:
        batch_op.alter_column('score', existing_type=sa.Float(), nullable=False)
        batch_op.alter_column('grade', existing_type=sa.String(2), nullable=False)
        batch_op.alter_column('rank', existing_type=sa.Integer(), nullable=False)
