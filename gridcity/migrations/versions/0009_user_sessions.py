"""user_session and live_socket: server-side sign-in sessions (a cookie is
worthless once its row is gone) and the sockets each session opened

Revision ID: 0009_user_sessions
Revises: 0008_privacy
Create Date: 2026-12-06 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

import gridcity.cases.models


revision = "0009_user_sessions"
down_revision = "0008_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "live_socket",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("user_session_id", sa.Integer(), nullable=False),
        sa.Column("connected_at", gridcity.cases.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_session_id"],
            ["user_session.id"],
            name=op.f("fk_live_socket_user_session_id_user_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_live_socket")),
    )
    with op.batch_alter_table("live_socket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_socket_user_session_id"), ["user_session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_socket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_socket_user_session_id"))
    op.drop_table("live_socket")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
