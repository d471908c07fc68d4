"""Overdue risk (issue 20, item 4): the nightly-trained risk model and the
cached risk of each open case

Revision ID: 0023_case_risk
Revises: 0022_proactive_tasks
Create Date: 2026-12-07 12:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = "0023_case_risk"
down_revision = "0022_proactive_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trained_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows_used", sa.Integer(), nullable=False),
        sa.Column("late_rows", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_model")),
    )
    with op.batch_alter_table("risk_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_model_trained_at"), ["trained_at"], unique=False)
    op.create_table(
        "case_risk",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("scored_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_case_risk_case_id_case_file")),
        sa.ForeignKeyConstraint(["model_id"], ["risk_model.id"], name=op.f("fk_case_risk_model_id_risk_model")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_risk")),
    )
    with op.batch_alter_table("case_risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_risk_model_id"), ["model_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_risk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_risk_model_id"))
    op.drop_table("case_risk")
    with op.batch_alter_table("risk_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_model_trained_at"))
    op.drop_table("risk_model")
