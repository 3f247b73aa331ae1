"""llm_cache: a model's checked summaries and translated headlines, per story, language, model

``bot.llm.summaries`` asks the model once per distinct (story, language, model) and keeps
the checked text, or the reason it was refused, here; every digest that carries the story
reads it back. Dropping it only costs model calls to rebuild.

Revision ID: 0007_llm_cache
Revises: 0006_drop_fulltext
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_llm_cache"
down_revision: str | None = "0006_drop_fulltext"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "llm_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_llm_cache_article_id"), "llm_cache", ["article_id"])


def downgrade() -> None:
    op.drop_table("llm_cache")  # its index goes with it
