"""source_backoff: a failing feed waits until next_try_at instead of being disabled for good

``source.next_try_at`` is when a failing source is polled again (exponential backoff, capped
at a day); NULL means "at the next poll". Sources the old code disabled after repeated
failures are enabled again and retried at the next poll: from now on a failing feed heals on
its own, and only a source disabled by hand stays off.

Revision ID: 0005_source_backoff
Revises: 0004_digest_send
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_source_backoff"
down_revision: str | None = "0004_digest_send"
branch_labels: str | None = None
depends_on: str | None = None

#: What the old poller wrote when it disabled a source (bot/ingest/poller.py before 0005).
AUTO_DISABLED = "disabled after %"


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True))
    source = sa.table(
        "source",
        sa.column("enabled", sa.Boolean),
        sa.column("disabled_reason", sa.String),
    )
    op.execute(
        source.update()
        .where(source.c.disabled_reason.like(AUTO_DISABLED))
        .values(enabled=True, disabled_reason=None)
    )


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_column("next_try_at")
