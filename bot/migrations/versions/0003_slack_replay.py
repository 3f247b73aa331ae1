"""slack_replay: signed Slack requests already handled, shared by every replica

The Slack adapter records each accepted request's signature (and each event id) here with
an expiry a little past Slack's five-minute signature window; a second sighting, on any
replica, is a replay (see ``adapters/slack/guard.py``). Rows are short-lived and deleted by
the adapter as they expire, so the downgrade loses nothing that matters after a few minutes.

Revision ID: 0003_slack_replay
Revises: 0002_index_meta
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_slack_replay"
down_revision: str | None = "0002_index_meta"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "slack_replay",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index(op.f("ix_slack_replay_expires_at"), "slack_replay", ["expires_at"])


def downgrade() -> None:
    op.drop_table("slack_replay")  # its index goes with it
