"""story_updates: follow-ups of a digest's stories, posted in the digest's thread

``delivery.thread`` keeps where replies to a digest go (Slack ``ts``, Discord thread or
message), ``digest_story`` which stories it carried and the newest article of each then,
and ``story_update`` is the ledger of updates (claimed, sent, once per change).
``subscription.followups`` turns them off (``subscribe followups=no``).

Revision ID: 0009_story_updates
Revises: 0008_feedback
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_story_updates"
down_revision: str | None = "0008_feedback"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(
            sa.Column("followups", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("thread", sa.String(), nullable=True))
    op.create_table(
        "digest_story",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"]),
        sa.PrimaryKeyConstraint("delivery_id", "story_id"),
    )
    op.create_index("ix_digest_story_story_id", "digest_story", ["story_id"])
    op.create_table(
        "story_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"]),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "change"),
    )
    op.create_index("ix_story_update_subscription_id", "story_update", ["subscription_id"])


def downgrade() -> None:
    op.drop_index("ix_story_update_subscription_id", table_name="story_update")
    op.drop_table("story_update")
    op.drop_index("ix_digest_story_story_id", table_name="digest_story")
    op.drop_table("digest_story")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("thread")
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("followups")
