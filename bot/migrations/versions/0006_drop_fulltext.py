"""drop_fulltext: the FTS5 table (SQLite) and the tsvector table (Postgres) go

Full text is ranked by a tantivy index on each process's local disk, built from the
articles themselves (``bot.index.local``); nothing reads these structures any more.
A downgrade recreates them and fills them from the articles, as the old code wrote them.

Revision ID: 0006_drop_fulltext
Revises: 0005_source_backoff
Create Date: 2026-12-05
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision: str = "0006_drop_fulltext"
down_revision: str | None = "0005_source_backoff"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS article_fts")  # FTS5 takes its shadow tables with it


def downgrade() -> None:
    from bot.text import index_terms

    initial = importlib.import_module("bot.migrations.versions.0001_initial")
    initial.create_fulltext()
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        sql = "INSERT INTO article_fts(rowid, title, body) VALUES (:id, :t, :b)"
    else:
        sql = (
            "INSERT INTO article_fts(article_id, tsv) VALUES (:id, "
            "setweight(to_tsvector('simple', :t), 'A') || "
            "setweight(to_tsvector('simple', :b), 'B'))"
        )
    rows = conn.execute(sa.text("SELECT id, title, body, lang FROM article ORDER BY id"))
    params = [
        {"id": aid, "t": index_terms(title, lang), "b": index_terms(body, lang)}
        for aid, title, body, lang in rows
    ]
    if params:
        conn.execute(sa.text(sql), params)
