"""jobs remember which engine claimed them

When Redis loses its data while an engine runs a job and that engine then dies, nothing
in Redis points at the job any more; the engine's name in the row lets the reconciler see
that its engine is gone and queue the job again.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("claimed_by")
