"""initial: every table of bot/models.py, the Slack OAuth tables and the full-text index

This is exactly the schema the pre-migration code made with ``SQLModel.metadata.create_all``
plus raw full-text DDL; databases made by that code are stamped here instead of running it
(see ``bot.migrations._adopt``, which also uses ``TABLES`` and ``create_fulltext`` to add
whatever such a database lacks).

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# SQLModel maps ``datetime`` to an aware timestamp and ``str`` to an unbounded VARCHAR.
Timestamp = sa.DateTime(timezone=True)


def create_source() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("full_text", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.String(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index(op.f("ix_source_kind"), "source", ["kind"])


def create_entity() -> None:
    op.create_table(
        "entity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("from_gazetteer", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )


def create_story() -> None:
    op.create_table(
        "story",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_story_first_seen_at"), "story", ["first_seen_at"])
    op.create_index(op.f("ix_story_last_seen_at"), "story", ["last_seen_at"])


def create_article() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("guid", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("section", sa.String(), nullable=True),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("published_at", Timestamp, nullable=True),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash"),
        sa.UniqueConstraint("url"),
    )
    for column in ("first_seen_at", "guid", "published_at", "source_id", "story_id"):
        op.create_index(op.f(f"ix_article_{column}"), "article", [column])


def create_passage() -> None:
    op.create_table(
        "passage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),  # float32, L2-normalized
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_passage_article_id"), "passage", ["article_id"])


def create_articleentity() -> None:
    op.create_table(
        "articleentity",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("article_id", "entity_id"),
        sa.UniqueConstraint("article_id", "entity_id"),
    )
    op.create_index(op.f("ix_articleentity_entity_id"), "articleentity", ["entity_id"])


def create_figure() -> None:
    op.create_table(
        "figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("sentence", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_figure_article_id"), "figure", ["article_id"])


def create_channelsettings() -> None:
    op.create_table(
        "channelsettings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("workspace", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "workspace", "channel"),
    )


def create_subscription() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("workspace", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("local_time", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("topics", sa.String(), nullable=False),
        sa.Column("weekdays_only", sa.Boolean(), nullable=False),
        sa.Column("min_sources", sa.Integer(), nullable=False),
        sa.Column("skip_empty", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.String(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "workspace", "channel"),
    )
    op.create_index(op.f("ix_subscription_platform"), "subscription", ["platform"])


def create_delivery() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("claimed_at", Timestamp, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", Timestamp, nullable=True),
        sa.Column("until", Timestamp, nullable=True),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "local_date"),
    )
    op.create_index(op.f("ix_delivery_subscription_id"), "delivery", ["subscription_id"])


def create_slack_installation() -> None:
    op.create_table(
        "slack_installation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("installed_at", sa.Float(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def create_slack_oauth_state() -> None:
    op.create_table(
        "slack_oauth_state",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("state"),
    )


def create_fulltext() -> None:
    """The full-text index over article titles and bodies (pre-stemmed by ``bot.text``)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_fts USING fts5("
            "title, body, tokenize='unicode61 remove_diacritics 2')"
        )
        return
    op.create_table(
        "article_fts",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,  # the article's id, never a sequence of its own
        ),
        sa.Column("tsv", postgresql.TSVECTOR(), nullable=False),
    )
    op.create_index("article_fts_tsv", "article_fts", ["tsv"], postgresql_using="gin")


#: Every table of this revision by name, parents before children.
TABLES: dict[str, Callable[[], None]] = {
    "source": create_source,
    "entity": create_entity,
    "story": create_story,
    "article": create_article,
    "passage": create_passage,
    "articleentity": create_articleentity,
    "figure": create_figure,
    "channelsettings": create_channelsettings,
    "subscription": create_subscription,
    "delivery": create_delivery,
    "slack_installation": create_slack_installation,
    "slack_oauth_state": create_slack_oauth_state,
}


def upgrade() -> None:
    for create in TABLES.values():
        create()
    create_fulltext()


def downgrade() -> None:
    op.drop_table("article_fts")  # the FTS5 virtual table on SQLite, with its shadow tables
    for name in reversed(TABLES):
        op.drop_table(name)  # indexes go with their table
