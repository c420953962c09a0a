"""per-user limits; an audit log that outlives its projects

Users get limits an admin sets: spend per day and jobs in flight (both empty: no limit
beyond the project budgets). Audit events keep the name of their project and are no
longer deleted with it: a deleted project's history stays for the admins to read.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FK = "fk_audit_events_project_id_projects"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("spend_per_day_usd", sa.Double(), nullable=True))
        batch.add_column(sa.Column("jobs_in_flight", sa.Integer(), nullable=True))
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("project_name", sa.String(length=200), nullable=True))
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(FK, "projects", ["project_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_audit_events_created_at", ["created_at"])
    op.execute(
        "UPDATE audit_events SET project_name = "
        "(SELECT name FROM projects WHERE projects.id = audit_events.project_id)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM audit_events WHERE project_id IS NULL AND project_name IS NOT NULL")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_created_at")
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(FK, "projects", ["project_id"], ["id"], ondelete="CASCADE")
        batch.drop_column("project_name")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("jobs_in_flight")
        batch.drop_column("spend_per_day_usd")
