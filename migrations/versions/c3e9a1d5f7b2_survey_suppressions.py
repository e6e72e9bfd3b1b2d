"""survey parts below k at the count keep only their number (survey_suppressions)

Revision ID: c3e9a1d5f7b2
Revises: 8a4f2b6c0d19
Create Date: 2026-12-07 15:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3e9a1d5f7b2'
down_revision = '8a4f2b6c0d19'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_suppressions',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.Enum('unit', 'department', 'person', name='target_kind', native_enum=False, length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_suppressions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'target_kind', 'target_id', 'verified', name=op.f('pk_survey_suppressions')),
    sqlite_with_rowid=False
    )


def downgrade():
    op.drop_table('survey_suppressions')
