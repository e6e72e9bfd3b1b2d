"""Archive builds record when they last issued or skipped a file, so a build whose process stopped is seen as stalled

Revision ID: 4e6b2d9c1a57
Revises: 7b1e4c9a2f30
Create Date: 2026-11-23 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4e6b2d9c1a57'
down_revision = '7b1e4c9a2f30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('archive_builds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('archive_builds', schema=None) as batch_op:
        batch_op.drop_column('progress_at')
