"""The archive's index: one row per issued appraisal file (person, year, version), the PDF kept by its SHA-256

Revision ID: 3dbfb3212b0e
Revises: 5d8a3f6e2c17
Create Date: 2026-11-23 05:04:31.694445

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3dbfb3212b0e'
down_revision = '5d8a3f6e2c17'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('archive_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=255), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('generated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_archive_files_campaign_id_campaigns'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_archive_files_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['generated_by_id'], ['users.id'], name=op.f('fk_archive_files_generated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_archive_files_person_id_people'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_archive_files_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_files')),
    sa.UniqueConstraint('code', name=op.f('uq_archive_files_code')),
    sa.UniqueConstraint('person_id', 'year', 'version', name=op.f('uq_archive_files_person_id'))
    )
    with op.batch_alter_table('archive_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_files_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_files_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_files_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_files_unit_path'), ['unit_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_files_year'), ['year'], unique=False)




def downgrade():

    with op.batch_alter_table('archive_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_files_year'))
        batch_op.drop_index(batch_op.f('ix_archive_files_unit_path'))
        batch_op.drop_index(batch_op.f('ix_archive_files_unit_id'))
        batch_op.drop_index(batch_op.f('ix_archive_files_sha256'))
        batch_op.drop_index(batch_op.f('ix_archive_files_person_id'))
        batch_op.drop_index(batch_op.f('ix_archive_files_campaign_id'))

    op.drop_table('archive_files')

