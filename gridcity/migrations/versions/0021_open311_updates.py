"""Open311 that clients can trust (issue 18, item 6): the updates clients
post to a request (``POST servicerequestupdates``), unique per client and
update_id, and every media_url a request brought

Revision ID: 0021_open311_updates
Revises: 0020_admin_people
Create Date: 2026-12-07 06:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = "0021_open311_updates"
down_revision = "0020_admin_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open311_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("client_update_id", sa.String(length=100), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["open311_api_key.id"], name=op.f("fk_open311_update_api_key_id_open311_api_key")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_open311_update_case_id_case_file")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["case_event.id"], name=op.f("fk_open311_update_event_id_case_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_update")),
        sa.UniqueConstraint(
            "api_key_id", "client_update_id", name=op.f("uq_open311_update_api_key_id_client_update_id")
        ),
        sa.UniqueConstraint("event_id", name=op.f("uq_open311_update_event_id")),
    )
    with op.batch_alter_table("open311_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_update_case_id"), ["case_id"], unique=False)
    # Requests before this revision brought at most one media_url (kept in media_url).
    with op.batch_alter_table("open311_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_urls", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("open311_request", schema=None) as batch_op:
        batch_op.drop_column("media_urls")
    with op.batch_alter_table("open311_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_update_case_id"))
    op.drop_table("open311_update")
