"""citizens' app (issue 18 items 1, 2, 5): one-time codes, the citizens'
category list, step notices

Revision ID: 0027_public_app
Revises: 0026_assessment_versions
Create Date: 2026-12-07 16:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = "0027_public_app"
down_revision = "0026_assessment_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", gridcity.cases.models.UTCDateTime(), nullable=True),
        sa.Column("from_address", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_code")),
    )
    with op.batch_alter_table("citizen_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_code_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_code_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_code_from_address"), ["from_address"], unique=False)
    op.create_table(
        "citizen_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label_zh", sa.String(length=40), nullable=False),
        sa.Column("label_en", sa.String(length=80), nullable=False),
        sa.Column("category_code", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_category")),
    )
    op.create_table(
        "citizen_notice",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["citizen_report.id"], name=op.f("fk_citizen_notice_report_id_citizen_report")
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_citizen_notice")),
    )


def downgrade() -> None:
    op.drop_table("citizen_notice")
    op.drop_table("citizen_category")
    with op.batch_alter_table("citizen_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_code_from_address"))
        batch_op.drop_index(batch_op.f("ix_citizen_code_created_at"))
        batch_op.drop_index(batch_op.f("ix_citizen_code_phone"))
    op.drop_table("citizen_code")
