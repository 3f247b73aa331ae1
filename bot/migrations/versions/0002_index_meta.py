"""index_meta: which embedding model made the stored passage vectors

A database whose passages predate this revision was embedded by the previous default,
all-MiniLM-L6-v2; ``bot.index.space`` records that on first use.

Revision ID: 0002_index_meta
Revises: 0001_initial
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_index_meta"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "index_meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("index_meta")
