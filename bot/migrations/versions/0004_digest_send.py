"""digest_send: when a digest's send began, so a takeover knows what was in flight

``delivery.started_at`` is written (in groups) just before a digest is posted. A claim
taken over from a dead or stopped worker with ``started_at`` set and no outcome may have
reached the platform: the new holder checks (Slack: the channel's history for the digest's
metadata key; Discord: the nonce inside its window) before it posts again.

Revision ID: 0004_digest_send
Revises: 0003_slack_replay
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_digest_send"
down_revision: str | None = "0003_slack_replay"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("started_at")
