"""review sessions: an ordered set of takes and movie versions reviewed together, open in
a window, maybe behind a passphrase; guest links into one session; guests as users

A guest is a user of one guest link (``users.guest_link_id``): no membership, so every
project operation refuses them; the review gate lets them act on their session's items
only, while the link is neither revoked nor expired and the session is open.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("passphrase_hash", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("live_since", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_review_sessions_project_id", "review_sessions", ["project_id"])
    op.create_table(
        "review_session_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("review_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("take_id", sa.Integer(), sa.ForeignKey("takes.id", ondelete="CASCADE")),
        sa.Column("movie_id", sa.Integer(), sa.ForeignKey("movies.id", ondelete="CASCADE")),
        sa.UniqueConstraint("session_id", "position", name="uq_review_session_items_position"),
    )
    op.create_table(
        "guest_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("review_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("failed_tries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_guest_links_session_id", "guest_links", ["session_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("guest_link_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_users_guest_link_id_guest_links", "guest_links", ["guest_link_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_guest_link_id_guest_links", type_="foreignkey")
        batch.drop_column("guest_link_id")
    op.drop_index("ix_guest_links_session_id", "guest_links")
    op.drop_table("guest_links")
    op.drop_table("review_session_items")
    op.drop_index("ix_review_sessions_project_id", "review_sessions")
    op.drop_table("review_sessions")
