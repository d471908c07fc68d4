"""proactive tasks (主动治理, issue 20 item 3): a case the center starts itself
from a hotspot or a recurrence (source 'proactive'), with its basis — the
analysis's kind and id, the title, who raised it — and the basis cases

Revision ID: 0022_proactive_tasks
Revises: 0021_open311_updates
Create Date: 2026-12-07 12:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models


revision = "0022_proactive_tasks"
down_revision = "0021_open311_updates"
branch_labels = None
depends_on = None

# case_file.source has no CHECK constraint on either database (a String(12)
# since 0002_case_lifecycle), so the new source needs no schema change.


def upgrade() -> None:
    op.create_table(
        "proactive_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("basis_kind", sa.String(length=12), nullable=False),
        sa.Column("basis_ref", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_proactive_task_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_proactive_task_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proactive_task")),
        sa.UniqueConstraint("case_id", name=op.f("uq_proactive_task_case_id")),
    )
    with op.batch_alter_table("proactive_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proactive_task_created_at"), ["created_at"], unique=False)
    op.create_table(
        "proactive_task_case",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_proactive_task_case_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["proactive_task.id"], name=op.f("fk_proactive_task_case_task_id_proactive_task")
        ),
        sa.PrimaryKeyConstraint("task_id", "case_id", name=op.f("pk_proactive_task_case")),
    )
    with op.batch_alter_table("proactive_task_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proactive_task_case_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    # The older code knows no 'proactive' source: refuse rather than leave
    # cases it cannot show, or drop their basis.
    if op.get_bind().exec_driver_sql("SELECT count(*) FROM case_file WHERE source = 'proactive'").scalar():
        raise RuntimeError(
            "proactive tasks (主动治理) exist: they are cases with their history; "
            "a database holding them cannot go back before 0022_proactive_tasks"
        )
    with op.batch_alter_table("proactive_task_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_task_case_case_id"))
    op.drop_table("proactive_task_case")
    with op.batch_alter_table("proactive_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_task_created_at"))
    op.drop_table("proactive_task")
