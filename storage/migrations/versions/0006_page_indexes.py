"""indexes on what the pages filter on

A page's work must not grow with what it does not show: the Generate and Movie pages list
one project's jobs (and its budget sums them), and the Projects page lists one user's
memberships. Without these indexes each scanned every job, or every membership.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.create_index(batch.f("ix_jobs_project_id"), ["project_id"], unique=False)
    with op.batch_alter_table("memberships") as batch:
        batch.create_index(batch.f("ix_memberships_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_index(batch.f("ix_memberships_user_id"))
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(batch.f("ix_jobs_project_id"))
