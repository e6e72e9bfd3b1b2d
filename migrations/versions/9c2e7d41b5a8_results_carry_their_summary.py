"""Results carry their summary (dimension subtotals, vetoes, flags) and whether they are flagged

The results table filters, sorts and exports by these for everybody; reading them out of each
result's detail cost a second at province size.

Revision ID: 9c2e7d41b5a8
Revises: 4f5c06a3fa43
Create Date: 2026-11-23 04:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9c2e7d41b5a8'
down_revision = '4f5c06a3fa43'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Results stored so far: the same three parts, taken from their detail (the reader keeps the
    # dimensions it needs out of the subtotals).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE results SET summary = json_build_object('subtotals', detail::json -> 'subtotals', "
                   "'vetoes', detail::json -> 'vetoes', 'flags', detail::json -> 'flags')")
        # The engine lists every veto among the flags too.
        op.execute("UPDATE results SET flagged = json_array_length(COALESCE(detail::json -> 'flags', '[]')) > 0")
    else:
        op.execute("UPDATE results SET summary = json_object('subtotals', json_extract(detail, '$.subtotals'), "
                   "'vetoes', json_extract(detail, '$.vetoes'), 'flags', json_extract(detail, '$.flags'))")
        op.execute("UPDATE results SET flagged = COALESCE(json_array_length(detail, '$.flags'), 0) > 0")


def downgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('flagged')
        batch_op.drop_column('summary')
