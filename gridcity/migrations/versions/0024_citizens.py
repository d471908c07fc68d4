"""citizens (公众服务, issue 18): a citizen by confirmed phone number, and
each citizen's report or "me too" on a case with its private follow token

Revision ID: 0024_citizens
Revises: 0023_case_risk
Create Date: 2026-12-07 15:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = "0024_citizens"
down_revision = "0023_case_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.Column("blocked_at", gridcity.cases.models.UTCDateTime(), nullable=True),
        sa.Column("blocked_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen")),
        sa.UniqueConstraint("phone", name=op.f("uq_citizen_phone")),
    )
    op.create_table(
        "citizen_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("follow_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.Column("from_address", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_citizen_report_case_id_case_file")),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizen.id"], name=op.f("fk_citizen_report_citizen_id_citizen")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_report")),
        sa.UniqueConstraint("follow_token", name=op.f("uq_citizen_report_follow_token")),
    )
    with op.batch_alter_table("citizen_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_report_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_report_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_report_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("citizen_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_report_created_at"))
        batch_op.drop_index(batch_op.f("ix_citizen_report_citizen_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_report_case_id"))
    op.drop_table("citizen_report")
    op.drop_table("citizen")
