"""notifications: webhooks per project and their deliveries (an outbox the engines send);
each person's e-mail choice and last digest, what of the inbox was e-mailed; when a
project's spending was last told to have passed 80 % of its budget

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_webhooks_project_id", "webhooks", ["project_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "webhook_id",
            sa.Integer(),
            sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_webhook_deliveries_webhook_id", "webhook_deliveries", ["webhook_id"])
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("email_mode", sa.String(length=16), nullable=False, server_default="mentions")
        )
        batch.add_column(sa.Column("digest_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("budget_warned_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("emailed_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_inbox_created_at", ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_index("ix_inbox_created_at")
        batch.drop_column("emailed_at")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("budget_warned_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("digest_at")
        batch.drop_column("email_mode")
    op.drop_index("ix_webhook_deliveries_due", "webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_webhook_id", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhooks_project_id", "webhooks")
    op.drop_table("webhooks")
