"""per-user limits: spend per day and jobs in flight, set by an admin

Both empty means no limit beyond the project budgets.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("spend_per_day_usd", sa.Double(), nullable=True))
        batch.add_column(sa.Column("jobs_in_flight", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("jobs_in_flight")
        batch.drop_column("spend_per_day_usd")
