"""component dates (部件普查, issue 17 item 5): when each component was added
to the inventory and when an admin last changed it, for the census status

Revision ID: 0025_component_dates
Revises: 0024_citizens
Create Date: 2026-12-07 16:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = "0025_component_dates"
down_revision = "0024_citizens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("component") as batch:
        batch.add_column(sa.Column("added_at", gridcity.cases.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("updated_at", gridcity.cases.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("component") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("added_at")
