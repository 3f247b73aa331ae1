"""feedback: 👍/👎 votes on answers, digest stories and search results; digest threads

``feedback_vote`` holds one row per (platform, channel, user, target); voting again updates
it. ``subscription.thread`` asks for a Discord thread per digest (``subscribe thread=yes``).

Revision ID: 0008_feedback
Revises: 0007_llm_cache
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_feedback"
down_revision: str | None = "0007_llm_cache"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("workspace", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "channel", "user", "target"),
    )
    op.create_index("ix_feedback_vote_channel", "feedback_vote", ["channel"])
    op.create_index("ix_feedback_vote_kind", "feedback_vote", ["kind"])
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(
            sa.Column("thread", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("thread")
    op.drop_index("ix_feedback_vote_kind", table_name="feedback_vote")
    op.drop_index("ix_feedback_vote_channel", table_name="feedback_vote")
    op.drop_table("feedback_vote")
