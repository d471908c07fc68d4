"""scorecard_facts: a frozen month's drill-downs, stored with its figures
(DOMAIN §7.1 rule 8) — per version, subject group and count, the rows the
count counted.

Revision ID: 0014_scorecard_facts
Revises: 0013_appeals
Create Date: 2026-12-06 06:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0014_scorecard_facts'
down_revision = "0013_appeals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Versions frozen before have none: their drill-downs are read live.
    op.create_table(
        'scorecard_facts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('subject_group', sa.String(length=20), nullable=False),
        sa.Column('count', sa.String(length=40), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['scorecard_version.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'subject_group', 'count'),
    )


def downgrade() -> None:
    op.drop_table('scorecard_facts')
