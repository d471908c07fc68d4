"""patrols: patrol, patrol_point, patrol_unit_grid; case_file.patrol_id

Revision ID: 0004_patrols
Revises: 0002
Create Date: 2026-11-29 12:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
import gridcity.cases.models
import gridcity.core.geometry


revision = '0004_patrols'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('patrol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('interval_s', sa.Integer(), nullable=False),
    sa.Column('started_at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.Column('ended_at', gridcity.cases.models.UTCDateTime(), nullable=True),
    sa.Column('track', gridcity.core.geometry.GeometryType('LINESTRING', srid=4326), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.Column('point_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('daily', 'night', 'holiday', 'month_end')", name=op.f('ck_patrol_kind_known')),
    sa.ForeignKeyConstraint(['inspector_id'], ['app_user.id'], name=op.f('fk_patrol_inspector_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol'))
    )
    with op.batch_alter_table('patrol', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_started_at'), ['started_at'], unique=False)

    op.create_table('patrol_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patrol_id', sa.Integer(), nullable=False),
    sa.Column('at', gridcity.cases.models.UTCDateTime(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrol.id'], name=op.f('fk_patrol_point_patrol_id_patrol'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_point')),
    sa.UniqueConstraint('patrol_id', 'at', name=op.f('uq_patrol_point_patrol_id_at'))
    )
    op.create_table('patrol_unit_grid',
    sa.Column('patrol_id', sa.Integer(), nullable=False),
    sa.Column('unit_grid_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrol.id'], name=op.f('fk_patrol_unit_grid_patrol_id_patrol'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_grid_id'], ['unit_grid.id'], name=op.f('fk_patrol_unit_grid_unit_grid_id_unit_grid'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patrol_id', 'unit_grid_id', name=op.f('pk_patrol_unit_grid'))
    )
    with op.batch_alter_table('patrol_unit_grid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_unit_grid_unit_grid_id'), ['unit_grid_id'], unique=False)

    # SQLite cannot add a foreign key in place: batch mode copies the table.
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('patrol_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_file_patrol_id'), ['patrol_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_file_patrol_id_patrol'), 'patrol', ['patrol_id'], ['id'])

    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_patrol_track", "patrol", ["track"], postgresql_using="gist")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_patrol_track", table_name="patrol")
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_file_patrol_id_patrol'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_file_patrol_id'))
        batch_op.drop_column('patrol_id')

    with op.batch_alter_table('patrol_unit_grid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_unit_grid_unit_grid_id'))

    op.drop_table('patrol_unit_grid')
    op.drop_table('patrol_point')
    with op.batch_alter_table('patrol', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_started_at'))
        batch_op.drop_index(batch_op.f('ix_patrol_inspector_id'))

    op.drop_table('patrol')
