"""The one shape every ingester produces, whatever the input was."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class RawArticle:
    """An article as parsed from its input, before dedup, passages and embeddings.

    ``url`` is the canonical link for web content, or the path as the user gave
    it for local files. ``published_at`` is timezone-aware UTC or ``None`` when
    the input had no usable date (the store then uses first-seen time).
    """

    title: str
    body: str
    url: str | None = None
    published_at: datetime | None = None
    lang: str | None = None
    section: str | None = None
    source_name: str | None = None
    guid: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class IngestError(Exception):
    """An input that cannot be ingested; ``str(err)`` is a readable reason for the user."""
