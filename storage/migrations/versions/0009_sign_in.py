"""sign-in: users by issuer and subject, admins, disabled users, logins, invitations,
local accounts

A user is who signed in with an OpenID Connect provider (the issuer and the subject it
names them by); the studio's own provider keeps its passwords (argon2 hashes) in
local_accounts.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("issuer", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_unique_constraint("uq_users_issuer_subject", ["issuer", "subject"])
    op.create_table(
        "logins",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_logins_user_id", "logins", ["user_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "invited_by",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_id", "email", name="uq_invitations_project_email"),
    )
    op.create_index("ix_invitations_email", "invitations", ["email"])
    op.create_table(
        "local_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(length=320), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("local_accounts")
    op.drop_index("ix_invitations_email", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_logins_user_id", table_name="logins")
    op.drop_table("logins")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_issuer_subject", type_="unique")
        batch.drop_column("disabled")
        batch.drop_column("is_admin")
        batch.drop_column("subject")
        batch.drop_column("issuer")
