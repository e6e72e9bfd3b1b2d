"""Builds of a unit's appraisal files started from the web: one row per build with its progress and outcome

Revision ID: 7b1e4c9a2f30
Revises: 3dbfb3212b0e
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b1e4c9a2f30'
down_revision = '3dbfb3212b0e'
branch_labels = None
depends_on = None

ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade():
    op.create_table('archive_builds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_archive_builds_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_archive_builds_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_builds'))
    )
    with op.batch_alter_table('archive_builds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_builds_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_archive_builds_active', ['unit_id', 'year'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade():
    with op.batch_alter_table('archive_builds', schema=None) as batch_op:
        batch_op.drop_index('ix_archive_builds_active')
        batch_op.drop_index(batch_op.f('ix_archive_builds_unit_id'))

    op.drop_table('archive_builds')
