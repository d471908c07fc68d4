"""public feedback (公众服务, issue 18): "closed is not fixed" claims and their
re-verification, citizens' ratings of the handling, the operators' decisions
on photos for the public, and the public side's numbers as rows

Revision ID: 0028_public_feedback
Revises: 0027_public_app
Create Date: 2026-12-07 16:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = "0028_public_feedback"
down_revision = "0027_public_app"
branch_labels = None
depends_on = None


def upgrade() -> None:
    policy = op.create_table(
        "public_policy",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_public_policy")),
    )
    op.bulk_insert(policy, [{"name": "not_fixed_days", "value": 7.0}])
    op.create_table(
        "not_fixed_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("citizen_report_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("decided_at", gridcity.cases.models.UTCDateTime(), nullable=True),
        sa.Column("decision_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_not_fixed_claim_case_id_case_file")),
        sa.ForeignKeyConstraint(
            ["citizen_report_id"], ["citizen_report.id"], name=op.f("fk_not_fixed_claim_citizen_report_id_citizen_report")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["case_task.id"], name=op.f("fk_not_fixed_claim_task_id_case_task")),
        sa.ForeignKeyConstraint(["event_id"], ["case_event.id"], name=op.f("fk_not_fixed_claim_event_id_case_event")),
        sa.ForeignKeyConstraint(
            ["decision_event_id"], ["case_event.id"], name=op.f("fk_not_fixed_claim_decision_event_id_case_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_not_fixed_claim")),
    )
    with op.batch_alter_table("not_fixed_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_not_fixed_claim_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_not_fixed_claim_citizen_report_id"), ["citizen_report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_not_fixed_claim_task_id"), ["task_id"], unique=False)
    op.create_table(
        "citizen_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("citizen_report_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=12), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_citizen_rating_case_id_case_file")),
        sa.ForeignKeyConstraint(
            ["citizen_report_id"], ["citizen_report.id"], name=op.f("fk_citizen_rating_citizen_report_id_citizen_report")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["case_event.id"], name=op.f("fk_citizen_rating_event_id_case_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_rating")),
        sa.UniqueConstraint("citizen_report_id", name=op.f("uq_citizen_rating_citizen_report_id")),
    )
    with op.batch_alter_table("citizen_rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_rating_case_id"), ["case_id"], unique=False)
    op.create_table(
        "photo_publication",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photo.id"], name=op.f("fk_photo_publication_photo_id_photo")),
        sa.ForeignKeyConstraint(["decided_by"], ["app_user.id"], name=op.f("fk_photo_publication_decided_by_app_user")),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_photo_publication")),
    )
    with op.batch_alter_table("photo_publication", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_publication_decided_at"), ["decided_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("photo_publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_publication_decided_at"))
    op.drop_table("photo_publication")
    with op.batch_alter_table("citizen_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_rating_case_id"))
    op.drop_table("citizen_rating")
    with op.batch_alter_table("not_fixed_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_not_fixed_claim_task_id"))
        batch_op.drop_index(batch_op.f("ix_not_fixed_claim_citizen_report_id"))
        batch_op.drop_index(batch_op.f("ix_not_fixed_claim_case_id"))
    op.drop_table("not_fixed_claim")
    op.drop_table("public_policy")
