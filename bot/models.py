"""The database's tables. It is the source of truth; in-memory indexes derive from it.

Every datetime column is a ``bot.utc.Timestamp``: stored in UTC, read back aware.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from bot.utc import Timestamp, now


def _at(*, index: bool = False, created: bool = False) -> Any:
    """A datetime field: ``created`` ones default to now, the others to None."""
    if created:
        return Field(default_factory=now, index=index, sa_type=Timestamp)
    return Field(default=None, index=index, sa_type=Timestamp)


class Source(SQLModel, table=True):
    """Where articles come from: a feed, a web page, or a local folder/file."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # "feed" | "url" | "files"
    url: str = Field(unique=True)
    name: str
    lang: str | None = None
    enabled: bool = True
    full_text: bool = False
    etag: str | None = None
    last_modified: str | None = None
    last_success_at: datetime | None = _at()
    last_error: str | None = None
    consecutive_failures: int = 0
    # A failing source is next polled at this time (exponential backoff); None: next poll.
    next_try_at: datetime | None = _at()
    disabled_reason: str | None = None
    created_at: datetime = _at(created=True)


class Article(SQLModel, table=True):
    """One article; identical text or the same canonical URL is never stored twice."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True)
    source_name: str = ""
    url: str | None = Field(default=None, unique=True)
    guid: str | None = Field(default=None, index=True)
    title: str
    body: str
    section: str | None = None
    lang: str = "es"
    published_at: datetime | None = _at(index=True)
    first_seen_at: datetime = _at(created=True, index=True)
    content_hash: str = Field(unique=True)
    story_id: int | None = Field(default=None, index=True)


class Passage(SQLModel, table=True):
    """A few sentences of an article, with its embedding (float32 bytes, L2-normalized)."""

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    ord: int
    text: str
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Entity(SQLModel, table=True):
    """A named thing (company, lab, model, chip, person, country...) mentioned in articles."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    kind: str = "other"
    from_gazetteer: bool = True


class ArticleEntity(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("article_id", "entity_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", primary_key=True, index=True)
    count: int = 1


class Figure(SQLModel, table=True):
    """A key figure quoted in an article ("700 millones de descargas", "17 %"), found at ingest."""

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    text: str  # the span as written
    value: float
    unit: str  # "%" | "downloads" | "usd" | ... | "" for a bare count
    subject: str | None = None  # nearest entity, e.g. "China"
    sentence: str


class Story(SQLModel, table=True):
    """Articles about the same event, in any language and from any source."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    first_seen_at: datetime = _at(created=True, index=True)
    last_seen_at: datetime = _at(created=True, index=True)
    article_count: int = 1
    source_count: int = 1


class ChannelSettings(SQLModel, table=True):
    """Per-channel preferences (reply language) on any platform."""

    __table_args__ = (UniqueConstraint("platform", "workspace", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    workspace: str
    channel: str
    lang: str | None = None


class Subscription(SQLModel, table=True):
    """A channel's daily digest: local time, IANA timezone, language and topics."""

    __table_args__ = (UniqueConstraint("platform", "workspace", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(index=True)
    workspace: str
    channel: str
    local_time: str = "09:00"  # HH:MM
    timezone: str = "UTC"
    lang: str = "en"
    topics: str = ""  # space-separated entities or keywords
    weekdays_only: bool = False
    min_sources: int = 1
    skip_empty: bool = False
    # Discord: post the digest, then open a thread on it (``thread=yes``); forum channels
    # always get a post of their own.
    thread: bool = False
    # Updates of the stories a digest carried, posted in its thread (``followups=no``: none).
    followups: bool = True
    paused: bool = False
    paused_reason: str | None = None
    created_by: str | None = None
    created_at: datetime = _at(created=True)
    updated_at: datetime = _at(created=True)


class _Claimable(SQLModel):
    """A ledger row's claim (``bot.ledger``): ``status`` "sending" (claimed), "sent", "empty"
    (nothing new, skip-empty), "failed"."""

    status: str = "sending"
    claimed_by: str = ""
    claimed_at: datetime = _at(created=True)
    attempts: int = 1
    # When the send began (written just before the post): a claim taken over with this set
    # and no outcome may have reached the platform, so it is checked before it is resent.
    started_at: datetime | None = _at()
    sent_at: datetime | None = _at()
    error: str | None = None


class Delivery(_Claimable, table=True):
    """The ledger: one row per subscription and local date, so a digest goes out once a day.

    ``until`` is the ``now`` the digest was built at: the next digest starts there.
    """

    __table_args__ = (UniqueConstraint("subscription_id", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    local_date: str  # YYYY-MM-DD in the subscription's timezone
    until: datetime | None = _at()
    stories: int = 0
    # Where replies to the digest go (``Sender.send``'s answer): Slack the message's ``ts``,
    # Discord "thread:ID" or "message:ID". None: the platform gave none; no updates.
    thread: str | None = None


class DigestStory(SQLModel, table=True):
    """A story a delivered digest carried, and the newest of its articles then (``upto``, an
    article id): the story's later articles are what an update in the digest's thread tells."""

    __tablename__ = "digest_story"

    delivery_id: int = Field(foreign_key="delivery.id", primary_key=True)
    story_id: int = Field(primary_key=True, index=True)
    upto: int


class StoryUpdate(_Claimable, table=True):
    """The ledger of story updates (``bot.updates``), kept like ``Delivery``: one row per
    subscription and ``change`` ("<story id>:<upto>", the newest article it tells about),
    claimed before the reply is posted in the thread of ``delivery_id``'s digest."""

    __tablename__ = "story_update"
    __table_args__ = (UniqueConstraint("subscription_id", "change"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    change: str
    story_id: int
    upto: int
    delivery_id: int = Field(foreign_key="delivery.id")


class IndexMeta(SQLModel, table=True):
    """Facts about the stored index, e.g. which embedding model made ``Passage.embedding``."""

    __tablename__ = "index_meta"

    key: str = Field(primary_key=True)
    value: str


class FeedbackVote(SQLModel, table=True):
    """One person's 👍/👎 on one target in one channel; voting again changes ``value``.

    ``target`` is ``kind:key`` (``bot.feedback``): ``a:<question hash>`` an answer,
    ``s:<story id>`` a story in a digest, ``r:<article id>`` a search result.
    """

    __tablename__ = "feedback_vote"
    __table_args__ = (UniqueConstraint("platform", "channel", "user", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    workspace: str = ""
    channel: str = Field(index=True)
    user: str
    target: str
    kind: str = Field(index=True)  # "answer" | "story" | "result"
    value: int  # +1 or -1
    created_at: datetime = _at(created=True)
    updated_at: datetime = _at(created=True)


class LLMCache(SQLModel, table=True):
    """A model's checked text for one story, language and model (``bot.llm.summaries``): each
    distinct (story, language, model) costs one call however many channels get it. ``text``
    empty: the model's reply failed the checks (``reason``), and the extractive text is used."""

    __tablename__ = "llm_cache"

    key: str = Field(primary_key=True, max_length=64)  # sha256 of kind, article, lang, model
    kind: str  # "summary" | "headline"
    article_id: int = Field(index=True)
    lang: str
    model: str
    text: str = ""
    reason: str | None = None
    created_at: datetime = _at(created=True)


#: Tables of the shared database that are not SQLModel models: the Slack adapter's OAuth
#: installations and states and its replay guard (``adapters/slack/store.py`` reads and
#: writes them). They are defined here, not in the adapter, so the migrations see every
#: table without ``bot`` importing ``adapters``.
platform_metadata = MetaData()

slack_installation = Table(
    "slack_installation",
    platform_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # "installation" | "bot"
    Column("enterprise_id", String(32)),
    Column("team_id", String(32)),
    Column("user_id", String(32)),
    Column("installed_at", Float, nullable=False),
    Column("data", Text, nullable=False),
)

slack_oauth_state = Table(
    "slack_oauth_state",
    platform_metadata,
    Column("state", String(64), primary_key=True),
    Column("expires_at", Float, nullable=False),
)

#: Signed Slack requests (and event ids) already handled by some replica, until they expire:
#: ``digest`` is a SHA-256 hex digest (see ``adapters.slack.guard``), ``expires_at`` epoch
#: seconds. Rows live a few minutes; the guard deletes expired ones as it goes.
slack_replay = Table(
    "slack_replay",
    platform_metadata,
    Column("digest", String(64), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)
